"""PDF text: pypdf against pdfminer.six on real PDFs, then the bot's whole PDF path on the 117-page script.

    pip install pdfminer.six        # the baseline (the `bench` extra); the bot itself uses pypdf
    python benchmarks/pdf.py                # every PDF in tests/data/pdf, 3 runs each
    python benchmarks/pdf.py --repeat 1

Part 1, for each PDF with a text layer and each library: the median seconds to get the text of every
page; the words; glyphs that came out unreadable (``(cid:N)``, U+FFFD, private-use code points);
words with German umlauts or ß (a wrong font encoding loses them first); and how closely the two
libraries' word streams agree (difflib ratio on the first 3,000 words: 1.0 = the same words in the same
order, so a two-column page read across the columns would score low against a column-wise reading).

Part 2, the bot's own path for the long German script (tests/data/pdf/GeoTopo-komprimiert.pdf, 117
pages): served from a loopback site and summarized by URL with each backend, as `summarize` does
(fetch, read, summarize); the OpenAI backend talks to the fake server (tests/fixtures/openai_server.py)
with 0.5 s per completion, so the figure is the bot's own work plus its long-input path's parallel
requests. The issue's target: under 60 s, in German.
"""

from __future__ import annotations

import argparse
import difflib
import io
import logging
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.config import Settings  # noqa: E402
from bot.pipeline import summarize_source  # noqa: E402
from bot.spec import SummarySpec  # noqa: E402
from bot.summarizers import make_summarizer  # noqa: E402
from tests.fixtures.openai_server import FakeOpenAIServer  # noqa: E402
from tests.fixtures.web import serving_web_site  # noqa: E402

PDF_DIR = REPO / "tests" / "data" / "pdf"
TEXT_PDFS = ("multicolumn.pdf", "google-doc-document.pdf", "pdflatex-4-pages.pdf", "GeoTopo-komprimiert.pdf")
LONG_PDF = "GeoTopo-komprimiert.pdf"
UNREADABLE = re.compile(r"\(cid:\d+\)|\ufffd|[\ue000-\uf8ff]")
UMLAUT_WORD = re.compile(r"\w*[äöüÄÖÜß]\w*")
COMPARED_WORDS = 3000


def pypdf_text(raw: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(raw)).pages)


def pdfminer_text(raw: bytes) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(io.BytesIO(raw))


def timed(read: Callable[[bytes], str], raw: bytes, repeat: int) -> tuple[float, str]:
    seconds, text = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        text = read(raw)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), text


def compare_libraries(repeat: int) -> None:
    readers = {"pypdf": pypdf_text, "pdfminer.six": pdfminer_text}
    print(f"{'PDF':<26} {'library':<13} {'median s':>9} {'words':>7} {'unreadable':>10} {'umlaut words':>12}"
          f" {'agreement':>9} {'speed ratio':>11}")
    for name in TEXT_PDFS:
        raw = (PDF_DIR / name).read_bytes()
        results = {label: timed(read, raw, repeat) for label, read in readers.items()}
        words = {label: text.split() for label, (_, text) in results.items()}
        agreement = difflib.SequenceMatcher(
            None, words["pypdf"][:COMPARED_WORDS], words["pdfminer.six"][:COMPARED_WORDS], autojunk=False
        ).ratio()
        base = results["pypdf"][0]
        for label, (seconds, text) in results.items():
            print(f"{name:<26} {label:<13} {seconds:>9.2f} {len(words[label]):>7} "
                  f"{len(UNREADABLE.findall(text)):>10} {len(UMLAUT_WORD.findall(text)):>12} {agreement:>9.3f}"
                  f" {seconds / base:>10.2f}x")


def long_pdf_by_url(repeat: int) -> None:
    import py3langid

    base = Settings(_env_file=None, fetch_allow_hosts=["127.0.0.1"], fetch_deadline=60)
    print(f"\n{LONG_PDF} (117 pages) summarized by URL, as `python -m bot summarize` does")
    print(f"{'backend':<12} {'median s':>9} {'max s':>7} {'summary words':>13} {'language':>8} {'requests':>8}")
    with serving_web_site() as site, FakeOpenAIServer(latency=0.5) as openai_server:
        backends = {
            "extractive": base,
            "openai": base.model_copy(update={
                "summarizer_backend": "openai", "openai_api_key": SecretStr("sk-bench-not-a-real-key"),
                "openai_base_url": openai_server.base_url, "openai_model": openai_server.model,
            }),
        }
        for label, settings in backends.items():
            summarizer = make_summarizer(settings, label)
            seconds, summary = [], None
            openai_server.reset()
            for _ in range(repeat):
                start = time.perf_counter()
                summary = summarize_source(site.url(f"/pdf/{LONG_PDF}"), SummarySpec(), summarizer, settings)
                seconds.append(time.perf_counter() - start)
            text = "\n".join(summary.paragraphs)
            requests = len(openai_server.requests) // repeat if label == "openai" else 0
            print(f"{label:<12} {statistics.median(seconds):>9.2f} {max(seconds):>7.2f} {summary.word_count:>13}"
                  f" {py3langid.classify(text)[0]:>8} {requests:>8}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # pypdf's font notices
    compare_libraries(args.repeat)
    long_pdf_by_url(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
