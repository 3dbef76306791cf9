"""Summary quality, spec compliance, grounding and speed: ours against a lead baseline, one run.

    python benchmarks/summaries.py                  # dev set, the product's budget rule (half the source)
    python benchmarks/summaries.py --limit 40       # a quick look
    python benchmarks/summaries.py --shared /path/to/shared

Both summarizers go through the shared bench's own evaluator (shared/bench/summarize/evaluate.py),
under ``--budget-mode ratio --budget-factor 0.5``: the budget each document gets is the one
``bot.spec.word_budget`` gives it. Lead = the first sentences until the next would overflow the budget
(the bench's baseline), cut into paragraphs by ``bot.spec.repair``; both use ``bot.sentences``.
Prints one markdown table per source and for ALL. ROUGE on the long stories takes a few minutes.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

from bot.sentences import split_sentences
from bot.spec import SummarySpec, repair
from bot.summarizers.extractive import summarize_text

REPO = Path(__file__).resolve().parents[1]


def lead(text: str, max_words: int, paragraphs: int) -> list[str]:
    """The first sentences that fit, in ``paragraphs`` paragraphs where there are enough of them."""
    taken, words = [], 0
    for sentence in split_sentences(text):
        words += len(sentence.split())
        if words > max_words:
            break
        taken.append(sentence)
    fixed, _ = repair([" ".join(taken)], text, SummarySpec(max_words=max_words, paragraphs=paragraphs))
    return fixed


def load_evaluator(shared: Path) -> ModuleType:
    path = shared / "bench" / "summarize" / "evaluate.py"
    if not path.is_file():
        raise SystemExit(f"benchmark data not found: {path.parent} is the team's shared folder "
                         "(not in this repository); put shared/ beside this clone or pass --shared DIR")
    spec = importlib.util.spec_from_file_location("shared_summarize_evaluate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(evaluator: ModuleType, func, rows: list[dict], args: argparse.Namespace) -> dict[str, dict]:
    """The evaluator's per-source aggregates (plus ALL) for one summarizer."""
    result = evaluator.evaluate(func, rows, args)
    by_source = defaultdict(list)
    for doc in result["docs"]:
        by_source[doc["source"]].append(doc)
        by_source["ALL"].append(doc)
    return {source: evaluator.aggregate(docs) for source, docs in by_source.items()}


def table(source: str, results: dict[str, dict[str, dict]]) -> str:
    base = results["lead"][source]["rl"]
    lines = [
        f"### {source} (n={results['lead'][source]['n']})",
        "",
        "| method | R1 | R2 | RL | RL vs lead | spec | ground | docs/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, groups in results.items():
        g = groups[source]
        lines.append(
            f"| {name} | {g['r1']:.4f} | {g['r2']:.4f} | {g['rl']:.4f} | {g['rl'] - base:+.4f} "
            f"| {g['spec']:.3f} | {g['ground']:.3f} | {g['docs_per_s']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared folder")
    parser.add_argument("--limit", type=int, default=0, help="only the first N documents of each source")
    parser.add_argument("--paragraphs", type=int, default=SummarySpec.paragraphs)
    args = parser.parse_args(argv)
    evaluator = load_evaluator(args.shared)
    rows = evaluator.load_rows(args.shared / "bench" / "summarize" / "dev.jsonl")
    if args.limit:
        per_source = defaultdict(list)
        for row in rows:
            per_source[row["source"]].append(row)
        rows = [row for group in per_source.values() for row in group[: args.limit]]
    settings = argparse.Namespace(  # what evaluate() reads from its own command line
        budget_mode="ratio", budget_factor=SummarySpec.source_ratio, min_budget=0,
        max_words=SummarySpec.max_words, paragraphs=args.paragraphs,
        fail_fast=False, verbose=False, save_summaries=None, progress=0,
    )  # fmt: skip
    results = {
        "extractive": run(evaluator, summarize_text, rows, settings),
        "lead": run(evaluator, lead, rows, settings),
    }
    print(f"dev set, {len(rows)} documents, budget = ratio x{settings.budget_factor} (max {settings.max_words}),")
    print(f"{settings.paragraphs} paragraphs; docs/s counts summarizer time only\n")
    for source in sorted(results["lead"], key=lambda s: (s == "ALL", s)):
        print(table(source, results) + "\n")


if __name__ == "__main__":
    sys.exit(main())
