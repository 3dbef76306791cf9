"""Article extraction: our extractor against trafilatura and readability-lxml, in one run.

    python benchmarks/extraction.py                 # dev set, 3 timing rounds, markdown table
    python benchmarks/extraction.py --rounds 5 --shared /path/to/shared
    python benchmarks/extraction.py --checks-only --repo ../main   # page checks alone, of another checkout

Scores come from the shared evaluator (``shared/bench/extraction/evaluate.py``: bag-of-words P/R/F1,
macro-averaged over pages) and the baselines from its ``baselines/adapters.py``, so our numbers
and theirs are measured the same way, on the same machine, at the same time. The machine is shared
and timings are noisy: every extractor runs ``--rounds`` times, interleaved, and the table shows
the median pages/s. Offline: everything reads local files.

The page checks run the whole of ``bot.extract.extract`` (metadata, paywall and length checks) on the
same pages and count what a reader would notice: pages refused, titles that still carry the site's
name, and short paragraphs that look like page furniture (copyright, syndication, subscription,
affiliate and status lines), ours beside the ground truth's own. The furniture patterns here are
written apart from the extractor's rules, so the count is not the extractor grading itself.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]  # --repo measures another checkout
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


# --- page checks ----------------------------------------------------------------------------------

FURNITURE_CHECK = re.compile(
    "|".join(
        (
            r"^(?:\u00a9|\(c\)|copyright\b)|all rights reserved|may not be (?:published|reproduced|redistributed)",
            r"^\[\s*(?:related|read|see|watch|more)\b",
            r"\b(?:originally|first) (?:published|appeared)\b|\brepublished\b|adapted from its original source",
            r"\bdelivered (?:to|through|straight to) your\b|\bsubscrib(?:e|ing)\b|\bsign up\b|\bnewsletter\b",
            r"\bclick(?:ing)? here\b|\bdownload (?:our|the) (?:free )?app\b",
            r"\bcommission from\b|\bearn a commission\b|\baffiliate links?\b|\bshare of (?:the )?sales?\b",
            r"contributed to this (?:report|story)|reporting by .*editing by",
            r"developing story|will be updated|^breaking(?: news)?$",
        )
    ),
    re.IGNORECASE,
)
FURNITURE_MAX_WORDS = 40
_SEPARATORS = re.compile(r"\s+[|\-\u2013\u2014\u00bb]\s+")


@dataclass
class Checks:
    pages: int = 0
    refused: list[str] = field(default_factory=list)
    site_in_title: list[str] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)
    truth_furniture: list[str] = field(default_factory=list)
    paragraphs: int = 0


def _letters(text: str) -> str:
    return re.sub(r"\W+", "", text.lower())


def title_has_site(title: str, site: str | None, url: str | None) -> bool:
    """The site's declared name in the title (beside something else), or a title part naming the web address."""
    if site and len(site) >= 4 and site.lower() in title.lower() and _letters(site) != _letters(title):
        return True
    host = re.sub(r"^www\.", "", (url or "").split("/")[2] if "://" in (url or "") else "")
    name = _letters(host.split(".")[0]) if host else ""
    parts = _SEPARATORS.split(title)
    return len(parts) > 1 and len(name) >= 3 and any(_letters(part).startswith(name) for part in (parts[0], parts[-1]))


def is_furniture(paragraph: str) -> bool:
    return len(paragraph.split()) <= FURNITURE_MAX_WORDS and FURNITURE_CHECK.search(paragraph.lstrip("- ")) is not None


def page_checks(pages: list[dict]) -> Checks:
    from bot.errors import ExtractError
    from bot.extract import extract
    from bot.fetch import Page

    checks = Checks(pages=len(pages))
    for page in pages:
        name = page["url"]
        checks.truth_furniture += [p for p in page["truth"].split("\n") if p.strip() and is_furniture(p)]
        try:
            article = extract(Page(url=page["url"], text=page["html"], content_type="text/html"))
        except ExtractError as exc:
            checks.refused.append(f"{name}: {exc.message}")
            continue
        checks.paragraphs += len(article.paragraphs)
        if title_has_site(article.title, article.site, page["url"]):
            checks.site_in_title.append(f"{article.title!r} (site {article.site!r})")
        checks.furniture += [p for p in article.paragraphs if is_furniture(p)]
    return checks


def checks_table(checks: Checks) -> str:
    rows = [
        f"Page checks: bot.extract.extract on the same {checks.pages} pages.",
        "",
        "| check | ours | ground truth |",
        "|---|---|---|",
        f"| pages refused (ExtractError) | {len(checks.refused)} | 0 |",
        f"| titles carrying the site's name | {len(checks.site_in_title)} | |",
        f"| furniture-like paragraphs (of {checks.paragraphs}) | {len(checks.furniture)} "
        f"| {len(checks.truth_furniture)} |",
        "",
    ]
    rows += [f"- refused: {line}" for line in checks.refused]
    rows += [f"- site in title: {line}" for line in checks.site_in_title]
    rows += [f"- furniture: {line[:100]}" for line in checks.furniture]
    return "\n".join(rows)


def load_pages(shared: Path, limit: int) -> list[dict]:
    evaluate = load_module(shared / "bench" / "extraction" / "evaluate.py", "_extraction_evaluate")
    return evaluate.load_set(evaluate.resolve_set_dir("dev", None))[: limit or None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared/ folder")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds per extractor")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages (quick look)")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose bot.extract is measured")
    parser.add_argument("--checks-only", action="store_true", help="only the page checks, no F1 or timing")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.repo.resolve()))
    if not (args.shared / "bench" / "extraction" / "evaluate.py").is_file():
        raise SystemExit(f"benchmark data not found: {args.shared}/bench/extraction is the team's shared folder "
                         "(not in this repository); put shared/ beside this clone or pass --shared DIR")
    if args.checks_only:
        print(checks_table(page_checks(load_pages(args.shared.resolve(), args.limit))))
        return 0
    if importlib.util.find_spec("readability") is None:
        parser.error("the readability-lxml baseline is missing: pip install -U pip && pip install -e '.[dev,bench]'")
    rounds = max(1, args.rounds)
    results, pages = run(args.shared.resolve(), rounds, args.limit)
    print(table(results, pages, rounds))
    print()
    print(checks_table(page_checks(load_pages(args.shared.resolve(), args.limit))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
