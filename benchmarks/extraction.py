"""Article extraction: our extractor against trafilatura and readability-lxml, in one run.

    python benchmarks/extraction.py                 # dev set, 3 timing rounds, markdown table
    python benchmarks/extraction.py --rounds 5 --shared /path/to/shared

Scores come from the shared evaluator (``shared/bench/extraction/evaluate.py``: bag-of-words P/R/F1,
macro-averaged over pages) and the baselines from its ``baselines/adapters.py``, so our numbers
and theirs are measured the same way, on the same machine, at the same time. The machine is shared
and timings are noisy: every extractor runs ``--rounds`` times, interleaved, and the table shows
the median pages/s. Offline: everything reads local files.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared"
BAR_F1 = 0.965
BAR_PAGES_PER_SECOND = 50.0

Extractor = Callable[[str, "str | None"], str]


@dataclass
class Result:
    name: str
    precision: float
    recall: float
    f1: float
    below_half: int
    errors: int
    pages_per_second: list[float]

    @property
    def speed(self) -> float:
        return statistics.median(self.pages_per_second)


def load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def extractors(adapters: ModuleType) -> dict[str, Extractor]:
    sys.path.insert(0, str(REPO))
    from bot.extract import extract_text

    return {
        "ours (bot.extract)": extract_text,
        "trafilatura_default": adapters.trafilatura_default,
        "trafilatura_no_comments": adapters.trafilatura_no_comments,
        "readability_lxml": adapters.readability_lxml,
    }


def timed_round(func: Extractor, pages: list[dict]) -> tuple[list[str], float]:
    """One pass over the pages, as evaluate.py times it: extractor calls only, errors count as empty."""
    func(pages[0]["html"], pages[0]["url"])  # warm-up, untimed (imports, caches)
    outputs, total = [], 0.0
    for page in pages:
        start = time.perf_counter()
        try:
            text = func(page["html"], page["url"]) or ""
        except Exception:  # an extractor failing on a page scores 0 there, as in evaluate.py
            text = None
        total += time.perf_counter() - start
        outputs.append(text)
    return outputs, len(pages) / total


def scored(name: str, outputs: list[str | None], pages: list[dict], evaluate: ModuleType) -> Result:
    scores = [evaluate.score(page["truth"], text or "") for page, text in zip(pages, outputs, strict=True)]
    return Result(
        name=name,
        precision=statistics.fmean(s["precision"] for s in scores),
        recall=statistics.fmean(s["recall"] for s in scores),
        f1=statistics.fmean(s["f1"] for s in scores),
        below_half=sum(s["f1"] < 0.5 for s in scores),
        errors=sum(text is None for text in outputs),
        pages_per_second=[],
    )


def run(shared: Path, rounds: int, limit: int) -> tuple[list[Result], int]:
    bench = shared / "bench" / "extraction"
    evaluate = load_module(bench / "evaluate.py", "_extraction_evaluate")
    adapters = load_module(bench / "baselines" / "adapters.py", "_extraction_adapters")
    pages = evaluate.load_set(evaluate.resolve_set_dir("dev", None))[: limit or None]
    evaluate._punct_table()  # built once, outside any timing
    results: dict[str, Result] = {}
    for _ in range(rounds):
        for name, func in extractors(adapters).items():
            outputs, speed = timed_round(func, pages)
            if name not in results:
                results[name] = scored(name, outputs, pages, evaluate)
            results[name].pages_per_second.append(speed)
    return list(results.values()), len(pages)


def table(results: list[Result], pages: int, rounds: int) -> str:
    ours = results[0]
    lines = [
        f"Dev set, {pages} pages; pages/s is the median of {rounds} interleaved rounds.",
        "",
        "| extractor | P | R | F1 | pages F1<0.5 | errors | pages/s | ours ÷ this (speed) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = "" if r is ours else f"{ours.speed / r.speed:.2f}×"
        lines.append(
            f"| {r.name} | {r.precision:.4f} | {r.recall:.4f} | **{r.f1:.4f}** | {r.below_half} "
            f"| {r.errors} | {r.speed:.1f} | {ratio} |"
        )
    best = max(results[1:], key=lambda r: r.f1)
    passed = ours.f1 >= max(BAR_F1, best.f1) and ours.speed >= BAR_PAGES_PER_SECOND
    lines += [
        "",
        f"Bar: F1 >= {BAR_F1} and above the best baseline ({best.name}, {best.f1:.4f}), "
        f">= {BAR_PAGES_PER_SECOND:.0f} pages/s: {'PASS' if passed else 'FAIL'}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared/ folder")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds per extractor")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages (quick look)")
    args = parser.parse_args(argv)
    if not (args.shared / "bench" / "extraction" / "evaluate.py").is_file():
        raise SystemExit(f"benchmark data not found: {args.shared}/bench/extraction is the team's shared folder "
                         "(not in this repository); put shared/ beside this clone or pass --shared DIR")
    if importlib.util.find_spec("readability") is None:
        parser.error("the readability-lxml baseline is missing: pip install -U pip && pip install -e '.[dev,bench]'")
    rounds = max(1, args.rounds)
    results, pages = run(args.shared.resolve(), rounds, args.limit)
    print(table(results, pages, rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
