"""The grounding check against people's labels: does it flag the summaries that invent a number or a
name, and leave faithful ones alone? One run, ours beside two naive baselines.

    python benchmarks/grounding.py --data /work/data/aggrefact/CLIFF_error_types.csv
    GROUNDING_DATA=/path/CLIFF_error_types.csv python benchmarks/grounding.py

The development set is the CLIFF part of AggreFact (Tang et al., 2023; github.com/Liyan06/AggreFact,
``data/error_type_mapping/CLIFF_error_types.csv``, commit f0654b245232cd724d5caa5db4950abfb12d795e):
600 BART and Pegasus summaries of XSum and CNN/DM news, each labelled ``correct`` or with error types
(``extrinsic-NP``, ``intrinsic-predicate``...) and the spans people marked. It is not in this repository
(see "How to get it" below); the benchmark reads it from ``--data``.

Labels, from the people's annotations alone:
* positive (a number/name error): an ``extrinsic-NP`` error (a noun phrase the article does not support)
  whose marked span holds a number (digits or a spelled number) or a name (a capitalized word that is
  not the summary's first word);
* negative: a summary labelled ``correct``;
* every other error (predicates, intrinsic mix-ups, whole invented sentences without such a span) is
  neither: no check of numbers and names can see it. How often those are flagged is printed apart.

The rules of :mod:`bot.grounding` were written reading the ``val`` rows and half of the ``test`` rows
(the "tuning" part, 450 rows); the other 150 ``test`` rows were never read one by one ("unseen", printed
apart). The held-out set of LLM summaries named in issue 10 is kept outside the project altogether.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bot.spec import SummarySpec, check

HOW_TO_GET = """No development set at {path}.
Get it (it is not part of this repository; keep it outside the checkout):
    git clone https://github.com/Liyan06/AggreFact /tmp/AggreFact
    mkdir -p /work/data/aggrefact
    cp /tmp/AggreFact/data/error_type_mapping/CLIFF_error_types.csv /work/data/aggrefact/
then run with --data /work/data/aggrefact/CLIFF_error_types.csv (or set GROUNDING_DATA)."""

_NUMBER_WORDS = set(
    [
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "thousand",
        "million",
        "billion",
        "half",
        "dozen",
    ]
)
SPEC = SummarySpec(max_words=10**6, paragraphs=1)


@dataclass(frozen=True)
class Row:
    article: str
    summary: str
    part: str  # "tuning" (read while writing the rules) or "unseen"
    label: str  # "error" (number/name), "faithful", or "other"


def load(path: Path) -> list[Row]:
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for raw in csv.DictReader(handle):
            rows.append(Row(raw["doc"], raw["summ"], part(raw), label(raw)))
    return rows


def part(raw: dict) -> str:
    """The CLIFF ``val`` rows and half the ``test`` rows (by a hash of the id) were read while writing the
    rules; the other half of ``test`` was never looked at, row by row."""
    if raw["cut"] == "val":
        return "tuning"
    return "unseen" if int(hashlib.sha256(raw["id"].encode()).hexdigest(), 16) % 2 == 0 else "tuning"


def label(raw: dict) -> str:
    if raw["error_type"].strip() == "correct":
        return "faithful"
    types = ast.literal_eval(raw["error_type"])
    spans = ast.literal_eval(raw["annotated_span"] or "[]")
    first = raw["summ"].split()[0] if raw["summ"].split() else ""
    if "extrinsic-NP" in types and any(holds_number_or_name(span, first, raw["summ"]) for span in spans):
        return "error"
    return "other"


def holds_number_or_name(span: str, first_word: str, summary: str) -> bool:
    words = re.findall(r"[^\W_]+", span)
    if any(w.isdigit() or w[0].isdigit() or w.lower() in _NUMBER_WORDS for w in words):
        return True
    opening = summary.startswith(span)
    return any(w[0].isupper() and not (i == 0 and opening and w == first_word) for i, w in enumerate(words))


# --- the checks compared ------------------------------------------------------------------------------


def ours(row: Row) -> bool:
    return bool(check([row.summary], row.article, SPEC).ungrounded)


def any_capital_or_digit_absent(row: Row) -> bool:
    """Naive: any capitalized word or any number of the summary that is not a word of the article."""
    article = {w.lower() for w in re.findall(r"[^\W_]+(?:[.,]\d+)*", row.article)}
    words = re.findall(r"[^\W_]+(?:[.,]\d+)*", row.summary)
    return any((w[0].isupper() or w[0].isdigit()) and w.lower() not in article for w in words)


def digits_absent(row: Row) -> bool:
    """Naive, numbers only: any run of digits in the summary that the article does not hold."""
    article = set(re.findall(r"\d+", row.article.replace(",", "")))
    return any(n not in article for n in re.findall(r"\d+", row.summary.replace(",", "")))


def flag_nothing(row: Row) -> bool:
    return False


CHECKS = {
    "bot.spec.check": ours,
    "capitalized word or digit absent": any_capital_or_digit_absent,
    "digits absent (numbers only)": digits_absent,
    "flag nothing": flag_nothing,
}


def scores(flags: list[bool], rows: list[Row]) -> dict[str, float]:
    tp = sum(f for f, r in zip(flags, rows, strict=True) if r.label == "error")
    fp = sum(f for f, r in zip(flags, rows, strict=True) if r.label == "faithful")
    positives = sum(r.label == "error" for r in rows)
    negatives = sum(r.label == "faithful" for r in rows)
    others = [f for f, r in zip(flags, rows, strict=True) if r.label == "other"]
    recall = tp / positives if positives else 0.0
    false_alarms = fp / negatives if negatives else 0.0
    return {
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": recall,
        "balanced accuracy": (recall + 1 - false_alarms) / 2,
        "false-alarm rate": false_alarms,
        "flags other errors": sum(others) / len(others) if others else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=os.environ.get("GROUNDING_DATA"), help="CLIFF_error_types.csv")
    args = parser.parse_args(argv)
    if not args.data or not Path(args.data).is_file():
        print(HOW_TO_GET.format(path=args.data or "(no --data, no GROUNDING_DATA)"), file=sys.stderr)
        return 2
    rows = load(Path(args.data))
    cuts = {"tuning (rules written reading these)": [r for r in rows if r.part == "tuning"],
            "unseen": [r for r in rows if r.part == "unseen"], "all": rows}  # fmt: skip
    for name, part in cuts.items():
        counts = {k: sum(r.label == k for r in part) for k in ("error", "faithful", "other")}
        print(f"\n### {name}: {len(part)} summaries, {counts['error']} number/name errors, "
              f"{counts['faithful']} faithful, {counts['other']} other errors\n")  # fmt: skip
        print("| check | precision | recall | balanced acc. | false-alarm rate | flags other errors | median ms |")
        print("|---|---|---|---|---|---|---|")
        for check_name, func in CHECKS.items():
            flags, times = [], []
            for row in part:
                start = time.perf_counter()
                flags.append(func(row))
                times.append((time.perf_counter() - start) * 1000)
            s = scores(flags, part)
            print(
                f"| {check_name} | {s['precision']:.2f} | {s['recall']:.3f} | {s['balanced accuracy']:.2f} | "
                f"{s['false-alarm rate']:.3f} | {s['flags other errors']:.2f} | {statistics.median(times):.2f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
