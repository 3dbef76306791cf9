"""PDFs, by link, file and stdin: real files made by LaTeX, Google Docs, LibreOffice and ImageMagick
(tests/data/pdf, from py-pdf/sample-files; provenance in tests/data/pdf/README.md)."""

from __future__ import annotations

import io
import sys

import py3langid
import pytest

from bot.errors import BotError, ExtractError
from bot.pdf import read_pdf
from bot.pipeline import summarize_bytes, summarize_source
from bot.spec import SummarySpec
from bot.summarizers import make_summarizer
from tests.fixtures.web import PDF_DIR

LATEX_PAPER = "multicolumn.pdf"  # LaTeX twocolumn
GOOGLE_DOC = "google-doc-document.pdf"
GERMAN_SCRIPT = "GeoTopo-komprimiert.pdf"  # 117 pages


def text_of(summary) -> str:
    return "\n\n".join(summary.paragraphs)


def read(name: str, settings, **overrides):
    return read_pdf((PDF_DIR / name).read_bytes(), url=name, settings=settings.model_copy(update=overrides))


@pytest.fixture(scope="module")
def german_script():
    """The 117-page script read once: it is the slow one."""
    from bot.config import Settings

    return read_pdf((PDF_DIR / GERMAN_SCRIPT).read_bytes(), url=GERMAN_SCRIPT, settings=Settings(_env_file=None))


@pytest.fixture
def extractive(settings):
    return make_summarizer(settings, "extractive")


# --- summarized by URL ---------------------------------------------------------------------------


def test_a_two_column_latex_paper_is_summarized_by_url(web_site, settings, extractive):
    summary = summarize_source(web_site.url(f"/pdf/{LATEX_PAPER}"), SummarySpec(), extractive, settings)
    assert summary.paragraphs and "Lorem ipsum dolor sit amet" in text_of(summary)


def test_a_google_docs_export_is_summarized_by_url(web_site, settings, extractive):
    summary = summarize_source(web_site.url(f"/pdf/{GOOGLE_DOC}"), SummarySpec(), extractive, settings)
    assert "better than" in text_of(summary)


def test_a_pdf_sent_without_a_content_type_is_recognised_by_its_bytes(web_site, settings, extractive):
    summary = summarize_source(web_site.url(f"/pdf-unlabelled/{GOOGLE_DOC}"), SummarySpec(), extractive, settings)
    assert "better than" in text_of(summary)


def test_a_117_page_german_script_is_summarized_in_german(web_site, settings, extractive):
    long_deadline = settings.model_copy(update={"fetch_deadline": 60})
    summary = summarize_source(web_site.url(f"/pdf/{GERMAN_SCRIPT}"), SummarySpec(), extractive, long_deadline)
    assert py3langid.classify(text_of(summary))[0] == "de"


def test_a_long_pdf_goes_through_the_openai_backends_parts(german_script, openai_settings, openai_server):
    summary = make_summarizer(openai_settings).summarize(german_script, SummarySpec().fitted(german_script.word_count))
    assert len(openai_server.requests) > 2  # parts, then the merge
    assert summary.paragraphs


# --- the text: order, hyphens, furniture, title, language ----------------------------------------


def test_two_columns_are_read_column_by_column(settings):
    text = read(LATEX_PAPER, settings).text
    # the first column's last paragraph comes before the second column's first (lipsum paragraphs 2 and 3)
    assert text.index("Nam dui ligula") < text.index("Nulla malesuada porttitor diam")


def test_a_word_hyphenated_at_a_line_end_is_joined(settings):
    text = read(LATEX_PAPER, settings).text
    assert "adipiscing elit" in text and "adip-" not in text and "sollicitudin vel" in text


def test_a_compound_split_at_a_line_end_keeps_its_hyphen(german_script):
    assert "Schwarz-Weiß" in german_script.text


def test_ligatures_become_letters(settings):
    assert "filled" in read(LATEX_PAPER, settings).text


def test_running_heads_with_their_page_numbers_are_removed(german_script):
    # every page of section 1.2 starts "8 1.2. METRISCHE RÄUME", "9 1.2. METRISCHE RÄUME" ...
    assert "METRISCHE RÄUME" not in german_script.text
    assert "FUNDAMENTALGRUPPE" not in german_script.text


def test_page_numbers_in_the_footer_are_removed(settings):
    article = read("pdflatex-4-pages.pdf", settings)
    assert not any(p.strip().isdigit() for p in article.paragraphs)


def test_the_title_comes_from_the_metadata(settings, german_script):
    assert read(GOOGLE_DOC, settings).title == "PDF Example Document"
    assert german_script.title == "Geometrie und Topologie"


def test_without_a_metadata_title_the_first_heading_is_the_title(settings):
    article = read(LATEX_PAPER, settings)
    assert article.title == "Two-Column Document with Lorem Ipsum"
    assert article.paragraphs[0] != article.title


def test_the_language_is_detected(settings, german_script):
    assert german_script.language == "de"
    assert read(GOOGLE_DOC, settings).language == "en"


# --- bounds -----------------------------------------------------------------------------------


def test_only_pdf_max_pages_are_read(settings):
    article = read(GERMAN_SCRIPT, settings, pdf_max_pages=10)
    assert article.warnings == ("Only the first 10 of its 117 pages were read.",)
    assert "Deformationsretrakt" not in article.text  # page 50


def test_reading_stops_at_the_deadline_with_the_pages_read_so_far(settings):
    article = read(GERMAN_SCRIPT, settings, fetch_deadline=1.5)  # all 117 pages take several seconds
    (warning,) = article.warnings
    assert warning.startswith("Only the first ") and warning.endswith(" of its 117 pages were read.")


def test_a_summary_of_a_pdf_cut_at_pdf_max_pages_says_so(web_site, settings, extractive):
    capped = settings.model_copy(update={"pdf_max_pages": 10})
    summary = summarize_source(web_site.url(f"/pdf/{GERMAN_SCRIPT}"), SummarySpec(), extractive, capped)
    assert "Only the first 10 of its 117 pages were read." in summary.warnings


def test_a_pdf_larger_than_the_size_cap_is_refused(web_site, settings, extractive):
    small = settings.model_copy(update={"fetch_max_bytes": 100_000})
    with pytest.raises(BotError) as caught:
        summarize_source(web_site.url(f"/pdf/{GERMAN_SCRIPT}"), SummarySpec(), extractive, small)
    assert "too large" in caught.value.message


# --- failures, exit 3 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("libreoffice-writer-password.pdf", "That PDF is password-protected, so its text can't be read."),
        ("imagemagick-images.pdf", "That is a scanned PDF with no text; OCR is not supported."),
    ],
)
def test_encrypted_and_image_only_pdfs_exit_3_with_the_reason(cli, web_site, name, reason):
    code, out, err = cli("summarize", web_site.url(f"/pdf/{name}"))
    assert (code, out, err.strip()) == (3, "", f"error: {reason}")


def test_a_pdf_locked_only_against_editing_is_read(settings):
    """An owner password alone (printing, copying rules) leaves the text readable: such PDFs are common."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO((PDF_DIR / GOOGLE_DOC).read_bytes()))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="AES-256")
    locked = io.BytesIO()
    writer.write(locked)
    assert "better than" in read_pdf(locked.getvalue(), url=None, settings=settings).text


def test_a_broken_pdf_exits_3_with_one_line(cli, web_site):
    code, _, err = cli("summarize", web_site.url("/binary/pdf"))
    assert code == 3 and err.strip() == "error: That PDF is damaged or not a PDF at all: its text could not be read."


def test_a_truncated_pdf_is_a_broken_file(settings):
    raw = (PDF_DIR / GOOGLE_DOC).read_bytes()
    with pytest.raises(ExtractError, match="damaged"):
        read_pdf(raw[: len(raw) // 3], url=None, settings=settings)


# --- the CLI: a .pdf file and - ------------------------------------------------------------------


def test_the_cli_summarizes_a_pdf_file(cli):
    code, out, _ = cli("summarize", str(PDF_DIR / LATEX_PAPER))
    assert code == 0 and out.startswith("Two-Column Document with Lorem Ipsum\n")


def test_the_cli_reads_pdf_bytes_from_stdin(cli, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO((PDF_DIR / GOOGLE_DOC).read_bytes()))
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = cli("summarize", "-")
    assert code == 0 and out.startswith("PDF Example Document\n")


# --- bytes handed over (a file shared in Slack) ----------------------------------------------------


def test_bytes_with_a_file_name_are_summarized(settings, extractive):
    raw = (PDF_DIR / GOOGLE_DOC).read_bytes()
    summary = summarize_bytes(raw, "application/octet-stream", "doc.pdf", SummarySpec(), extractive, settings)
    assert "better than" in text_of(summary)


def test_markdown_bytes_are_summarized_as_text(settings, extractive):
    text = "# Notes\n\n" + "\n\n".join(f"Point {n} says the harbour reopened after repairs." * 3 for n in range(8))
    summary = summarize_bytes(text.encode(), None, "notes.md", SummarySpec(), extractive, settings)
    assert "harbour reopened" in text_of(summary)


def test_bytes_of_a_type_the_app_does_not_read_are_refused_in_words(settings, extractive):
    with pytest.raises(BotError) as caught:
        summarize_bytes(b"\x89PNG\r\n\x1a\n", "image/png", "photo.png", SummarySpec(), extractive, settings)
    assert caught.value.message == "That file is an image; I can summarize PDF, text, Markdown and HTML files."
