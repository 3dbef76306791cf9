"""PDF bytes to an Article: the text in reading order, without running headers, footers or page numbers.

    article = read_pdf(raw, url="https://example.com/paper.pdf", settings=settings)

pypdf reads the text of each page in content-stream order, which is column order for what LaTeX,
LibreOffice, Word and Google Docs write (benchmarks/pdf.py measures it against pdfminer.six's layout
analysis: the same text and order on these files, in well under half the time). The page text is
then cleaned here: lines that repeat at the top or bottom of many pages (running heads, footers) and
page numbers go; a word split by a hyphen at a line end is joined; lines become paragraphs where a
line ends a sentence well short of the page's usual width.

The work is bounded by PDF_MAX_PAGES and by a deadline (FETCH_DEADLINE again, for reading): past either,
the pages read so far are the article and a warning says so. Every failure is an ExtractError with
words a person can read: password-protected, scanned (no text layer), broken.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from bot.config import Settings
from bot.errors import ExtractError, FetchTimeout, NotAnArticle
from bot.extract import MIN_WORDS, Article
from bot.sentences import count_words

logger = logging.getLogger(__name__)
# pypdf warns at length about fonts it decodes anyway; a damaged file still fails with an exception.
logging.getLogger("pypdf").setLevel(logging.ERROR)

PDF_TYPE = "application/pdf"
MIN_WORDS_PER_PAGE = 5  # fewer on average: the pages are pictures of text (a scan), not text
EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be a running head or footer
REPEATS = 3  # an edge line (digits aside) on at least this many pages is furniture, not text
PARAGRAPH_END = 0.8  # a line ending a sentence shorter than this share of the usual width ends a paragraph
HEADING = 0.5  # a line shorter than this share of the usual width, not ending a sentence, stands alone
SAMPLE_CHARS = 20_000  # enough text to tell its language

_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st", "\u00ad": ""})
_PAGE_NUMBER = re.compile(
    r"^(?:[-\u2013\u2014]\s*)?(?:(?:page|seite|p\.)\s*)?\d{1,4}(?:\s*(?:/|of|von)\s*\d{1,4})?(?:\s*[-\u2013\u2014])?$"
    r"|^[ivxlcdm]{1,6}$",
    re.IGNORECASE,
)
_CONTENTS_ENTRY = re.compile(r"(?:\.\s?){5,}\s*\d+$")  # "3.2 Fundamentalgruppe . . . . . 47"
_LEADING_OR_TRAILING_NUMBER = re.compile(r"^(\d{1,4})\s+\S|\S\s+(\d{1,4})$")
_SENTENCE_ENDS = (".", "!", "?", ":", '."', ".\u201d")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")  # icon fonts' glyphs: no text
_HYPHENATED = re.compile(r"(\w)-$")
_UNTITLED = re.compile(r"^(?:untitled|microsoft word - .*|document\d*|.*\.(?:docx?|odt|pdf|tex|dvi))$", re.IGNORECASE)


class Encrypted(ExtractError):
    pass


class Scanned(ExtractError):
    pass


def is_pdf(raw: bytes, content_type: str | None = None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == PDF_TYPE or raw[:1024].lstrip().startswith(b"%PDF-")


def read_pdf(raw: bytes, *, url: str | None, settings: Settings) -> Article:
    """The PDF's text as an Article, or an ExtractError saying why there is none."""
    import pypdf  # imported here: only PDFs pay for it

    deadline = time.monotonic() + settings.fetch_deadline
    with _readable():
        reader = pypdf.PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Encrypted("That PDF is password-protected, so its text can't be read.")
        total = len(reader.pages)
        pages: list[list[str]] = []
        for page in reader.pages[: settings.pdf_max_pages]:
            if time.monotonic() > deadline:
                break
            pages.append(_lines(page.extract_text() or ""))
        title = _metadata_title(reader)
        declared = reader.trailer["/Root"].get("/Lang")
    if not pages:
        raise FetchTimeout("That PDF took too long to read.")
    warnings = []
    if len(pages) < total:
        warnings.append(f"Only the first {len(pages)} of its {total} pages were read.")
    pages = _without_furniture(pages)
    lines = [line for page in pages for line in page]
    if lines and not title and _is_heading(lines[0], _usual_width(lines), share=PARAGRAPH_END):
        title = lines.pop(0)  # the first heading: a short first line that is no sentence
    paragraphs = _paragraphs(lines)
    words = sum(count_words(p) for p in paragraphs)
    if words < MIN_WORDS_PER_PAGE * len(pages):  # a few words a page: stamps and labels on pictures of pages
        raise Scanned("That is a scanned PDF with no text; OCR is not supported.")
    if words < MIN_WORDS:
        raise NotAnArticle(f"That PDF has only {words} words of text, too few to summarize.")
    if title and _key(paragraphs[0]) == _key(title):
        paragraphs = paragraphs[1:]
    text = "\n".join(paragraphs)
    return Article(
        title=title,
        paragraphs=tuple(paragraphs),
        url=url,
        canonical_url=url,
        byline=_author(reader),
        language=_language(str(declared) if declared else None, text),
        warnings=tuple(warnings),
    )


@contextmanager
def _readable() -> Iterator[None]:
    """pypdf's many ways of failing on a damaged or hostile file all say the same thing to a person."""
    try:
        yield
    except ExtractError:
        raise
    except Exception as exc:
        logger.info("unreadable PDF", exc_info=True)
        if type(exc).__name__ in ("FileNotDecryptedError", "DependencyError"):
            raise Encrypted("That PDF is password-protected, so its text can't be read.") from exc
        raise NotAnArticle("That PDF is damaged or not a PDF at all: its text could not be read.") from exc


def _lines(text: str) -> list[str]:
    text = _PRIVATE_USE.sub("", text.translate(_LIGATURES))
    return [line for line in (" ".join(raw.split()) for raw in text.splitlines()) if line]


def _without_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Each page's lines less page numbers, table-of-contents entries and the running heads and footers
    it shares with other pages."""
    edges = Counter()
    offsets = Counter()
    for index, lines in enumerate(pages):
        for line in set(lines[:EDGE_LINES] + lines[-EDGE_LINES:]):
            edges[_shape(line)] += 1
            for number in _edge_numbers(line):
                offsets[number - index] += 1
    repeated = {shape for shape, count in edges.items() if count >= min(REPEATS, max(2, len(pages)))}
    offset = next((value for value, count in offsets.most_common(1) if count >= REPEATS), None)

    def furniture(line: str, index: int) -> bool:
        if _PAGE_NUMBER.match(line) or (len(pages) > 1 and _shape(line) in repeated):
            return True
        return offset is not None and count_words(line) <= 10 and offset + index in _edge_numbers(line)

    cleaned = []
    for index, lines in enumerate(pages):
        top = [i for i in range(min(EDGE_LINES, len(lines))) if furniture(lines[i], index)]
        bottom = [i for i in range(max(0, len(lines) - EDGE_LINES), len(lines)) if furniture(lines[i], index)]
        drop = set(top) | set(bottom)
        cleaned.append([line for i, line in enumerate(lines) if i not in drop and not _CONTENTS_ENTRY.search(line)])
    return cleaned


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower())


def _edge_numbers(line: str) -> set[int]:
    match = _LEADING_OR_TRAILING_NUMBER.search(line)
    return {int(group) for group in match.groups() if group} if match else set()


def _usual_width(lines: list[str]) -> int:
    widths = sorted(len(line) for line in lines)
    return widths[int(len(widths) * 0.75)] if widths else 0


def _is_heading(line: str, usual: int, share: float = HEADING) -> bool:
    return len(line) < share * usual and count_words(line) <= 15 and not line.endswith((",", "-", *_SENTENCE_ENDS))


def _paragraphs(lines: list[str]) -> list[str]:
    """Lines joined into paragraphs across pages; a hyphen at a line end before a lower-case letter joins the word."""
    usual = _usual_width(lines)
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if _HYPHENATED.search(current) and line[:1].isalpha():
            # "adip-" + "iscing" is one word; "Schwarz-" + "Weiß" keeps its hyphen
            current = (current[:-1] if line[:1].islower() else current) + line
        else:
            current = f"{current} {line}" if current else line
        if _is_heading(line, usual) or (line.endswith(_SENTENCE_ENDS) and len(line) < PARAGRAPH_END * usual):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def _metadata_title(reader) -> str:
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:  # a broken Info dictionary is no reason to refuse the text
        return ""
    title = " ".join(str(title or "").replace("\x00", " ").split())
    return "" if not title or _UNTITLED.match(title) or " " not in title else title


def _author(reader) -> str | None:
    try:
        author = (reader.metadata or {}).get("/Author")
    except Exception:
        return None
    return " ".join(str(author).split()) or None if author else None


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def _language(declared: str | None, text: str) -> str | None:
    """The document's /Lang, as HTML's lang is read ("de-DE" -> "de"), else the language its text is in."""
    code = re.split(r"[-_,; ]", (declared or "").strip())[0].lower()
    if code.isalpha() and 2 <= len(code) <= 3:
        return code
    import py3langid

    language, _score = py3langid.classify(text[:SAMPLE_CHARS])
    return language or None
