"""Hostile shapes for the offline summarizer: time and peak memory of whole runs, each in a child process.

    python benchmarks/hostile.py               # every input, median of 3 runs each
    python benchmarks/hostile.py --repeat 1    # a quick look
    python benchmarks/hostile.py --only 60k    # inputs whose name contains "60k"

Each row is ``python -m bot summarize FILE --backend extractive`` (fetch-free: a local file through the
same pipeline a link takes: extract, fit the spec, summarize) in its own process, so its peak RSS
(``ru_maxrss`` from ``wait4``) is that one page's. The baseline in the same run is the same page through
extraction alone (``bot.pipeline.load_source`` + ``bot.extract.extract``): what the summarizer adds is the
difference. Children run under a 4 GB address-space limit and a time limit, so a regression shows as
``MemoryError``/``timeout`` in the table instead of taking the machine down.

Target (issue 8): the 0.5 MB and 2 MB pages of short sentences each in under 30 s and under 600 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ADDRESS_LIMIT = 4 * 1024**3
TIMEOUT_S = 180
EXTRACT_ONLY = (
    "import sys; from bot.config import Settings; from bot.extract import extract; "
    "from bot.pipeline import load_source; "
    "a = extract(load_source(sys.argv[1], Settings())); print(len(a.paragraphs))"
)


def _words(rng: random.Random, vocabulary: list[str], n: int) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(n))


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 7))) for _ in range(size)]


def short_sentences(count: int, seed: int) -> list[str]:
    """Sentences of 4-6 words over a 20,000-word vocabulary: many sentences, a wide vocabulary."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng, 20_000)
    return [_words(rng, vocabulary, rng.randint(4, 6)).capitalize() + "." for _ in range(count)]


def html_page(sentences: list[str], per_paragraph: int = 5) -> str:
    paragraphs = (" ".join(sentences[i : i + per_paragraph]) for i in range(0, len(sentences), per_paragraph))
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    head = "<html><head><title>A very long page</title></head><body><article><h1>A very long page</h1>"
    return f"{head}\n{body}\n</article></body></html>"


def text_lines(size: int, seed: int) -> str:
    """Short sentences, one per line, up to ``size`` bytes."""
    out, total = [], 0
    for sentence in short_sentences(size // 30, seed):
        out.append(sentence)
        total += len(sentence) + 1
        if total >= size:
            break
    return "\n".join(out)


def text_one_line(size: int, seed: int) -> str:
    """One unbroken line of words, no punctuation at all: a single 'sentence' of the whole file."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng, 20_000)
    out, total = [], 0
    while total < size:
        word = rng.choice(vocabulary)
        out.append(word)
        total += len(word) + 1
    return "Title line\n\n" + " ".join(out)


def text_wrapped(size: int, seed: int) -> str:
    """Hard-wrapped lower-case lines with no sentence end: every line continues the one before."""
    line = text_one_line(size, seed).split("\n\n", 1)[1]
    words = line.split()
    return "Title line\n\n" + "\n".join(" ".join(words[i : i + 10]) for i in range(0, len(words), 10))


def text_fragments(size: int, seed: int) -> str:
    """One-word 'sentences' ("Word. Word. Word."): nothing but fragments."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng, 20_000)
    out, total = [], 0
    while total < size:
        word = rng.choice(vocabulary).capitalize() + "."
        out.append(word)
        total += len(word) + 1
    return "Title line\n\n" + " ".join(out)


def text_dots(size: int, seed: int) -> str:
    """Words between long runs of sentence punctuation."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng, 2_000)
    out, total = [], 0
    while total < size:
        chunk = rng.choice(vocabulary).capitalize() + "." * rng.randint(1, 5000) + " "
        out.append(chunk)
        total += len(chunk)
    return "Title line\n\n" + "".join(out)


@dataclass(frozen=True)
class Case:
    name: str
    suffix: str
    make: Callable[[], str]


CASES = (
    Case("15k short sentences, 0.5 MB .html", ".html", lambda: html_page(short_sentences(15_000, 1))),
    Case("60k short sentences, 2 MB .html", ".html", lambda: html_page(short_sentences(60_000, 2))),
    Case("short sentences one per line, 4 MB .txt", ".txt", lambda: text_lines(4_000_000, 3)),
    Case("one line, no punctuation, 4 MB .txt", ".txt", lambda: text_one_line(4_000_000, 4)),
    Case("hard-wrapped lower-case lines, 4 MB .txt", ".txt", lambda: text_wrapped(4_000_000, 5)),
    Case("one-word fragments, 4 MB .txt", ".txt", lambda: text_fragments(4_000_000, 6)),
    Case("words between long runs of dots, 4 MB .txt", ".txt", lambda: text_dots(4_000_000, 7)),
)


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    outcome: str  # "ok", or what went wrong


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))


def measure(argv: list[str]) -> Run:
    """Wall time and peak RSS of one child process (``wait4``'s rusage is that child's alone)."""
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}".rstrip(os.pathsep)}
    env.pop("OPENAI_API_KEY", None)
    start = time.perf_counter()
    child = subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_limits
    )
    deadline, status, usage = start + TIMEOUT_S, None, None
    while status is None:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid == 0:
            status = None
            if time.perf_counter() > deadline:
                child.kill()
                _, _, usage = os.wait4(child.pid, 0)
                return Run(time.perf_counter() - start, usage.ru_maxrss / 1024, "timeout")
            time.sleep(0.02)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode(errors="replace").strip().splitlines()
    child.stderr.close()
    if child.returncode == 0:
        outcome = "ok"
    elif child.returncode < 0:
        outcome = f"killed by signal {-child.returncode}"
    else:
        outcome = f"rc {child.returncode}: {(err or ['?'])[-1][:70]}"
    return Run(seconds, usage.ru_maxrss / 1024, outcome)


def median_run(argv: list[str], repeat: int) -> Run:
    runs = [measure(argv) for _ in range(repeat)]
    bad = [r for r in runs if r.outcome != "ok"]
    if bad:
        return bad[0]
    return Run(statistics.median(r.seconds for r in runs), statistics.median(r.peak_mb for r in runs), "ok")


def count_sentences(text: str, suffix: str) -> int:
    """Sentences the summarizer sees (after extraction), counted in this process."""
    from bot.extract import extract
    from bot.fetch import Page
    from bot.sentences import split_sentences

    try:
        article = extract(Page(url="x", text=text, content_type="text/html" if suffix == ".html" else "text/plain"))
    except Exception:
        return -1
    return len(split_sentences(article.text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per input; the table shows medians")
    parser.add_argument("--only", default="", help="only inputs whose name contains this")
    args = parser.parse_args(argv)
    cases = [case for case in CASES if args.only in case.name]
    print(f"{len(cases)} inputs, median of {args.repeat} runs each; each run is its own process\n")
    print("| input | MB | sentences | extract only s | extract only MB | summarize s | peak RSS MB | outcome |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            text = case.make()
            path = Path(tmp) / f"page{case.suffix}"
            path.write_text(text, encoding="utf-8")
            size = path.stat().st_size / 1e6
            baseline = median_run([sys.executable, "-c", EXTRACT_ONLY, str(path)], args.repeat)
            full = median_run(
                [sys.executable, "-m", "bot", "summarize", str(path), "--backend", "extractive", "--format", "json"],
                args.repeat,
            )
            sentences = count_sentences(text, case.suffix)
            print(
                f"| {case.name} | {size:.1f} | {sentences:,} | {baseline.seconds:.1f} | {baseline.peak_mb:.0f} "
                f"| {full.seconds:.1f} | {full.peak_mb:.0f} | {full.outcome} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
