"""What a fetched body is: its media type (declared or sniffed), its text (charset decoded), its size cap.

Kept apart from the network code so local files and stdin go through the same rules as fetched pages:

    raw = read_capped(stream, settings.fetch_max_bytes)      # TooLarge past the cap, in bounded chunks
    media = body_type(raw, "text/plain")                     # UnsupportedContent for a PDF, an image, binary
    text, encoding = decode_body(raw, media)
"""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO

import charset_normalizer

from bot.errors import TooLarge, UnsupportedContent

TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
DOCUMENT_TYPES = ("application/pdf",)  # read from their bytes (bot/pdf.py), not decoded as text
READABLE_TYPES = TEXT_TYPES + DOCUMENT_TYPES
# Declared types that say nothing: the body is sniffed instead.
UNINFORMATIVE_TYPES = ("application/octet-stream", "unknown/unknown", "binary/octet-stream")

_FRIENDLY = {
    "application/pdf": "a PDF",
    "application/json": "JSON data",
    "application/zip": "a ZIP archive",
    "application/gzip": "a compressed file",
    "application/msword": "a Word document",
    "application/rss+xml": "a news feed",
    "application/atom+xml": "a news feed",
    "text/csv": "a spreadsheet (CSV)",
}
_FAMILIES = {"image": "an image", "video": "a video", "audio": "an audio file", "font": "a font"}
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF8", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)
_SNIFF_BYTES = 1445  # the "resource header" browsers sniff (WHATWG MIME Sniffing 5.2)
# Bytes that never occur in text (WHATWG "binary data bytes"): NUL and the C0 controls but tab, LF, FF, CR, ESC.
_BINARY_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_TEXT_BYTES = bytes(b for b in range(256) if b not in _BINARY_BYTES)
_BINARY_SHARE = 0.01  # past the header too: a text file has (almost) none of them
_CHUNK = 64 * 1024
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<meta", b"<p>", b"<div")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([a-z0-9_.:-]+)""",
    re.IGNORECASE,
)
# Labels that browsers read as windows-1252 (the WHATWG encoding standard), a superset that never fails.
_AS_CP1252 = {"ascii", "latin-1", "iso8859-1"}
_WESTERN_MARGIN = 0.1  # charset-normalizer "chaos" (0 = clean text, 1 = noise)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def too_large_message(limit: int) -> str:
    """The words for a body over FETCH_MAX_BYTES, fetched or local."""
    return f"That page is too large to summarize (over {limit / 1_000_000:g} MB)."


def read_capped(stream: BinaryIO, limit: int) -> bytes:
    """All of ``stream`` if it holds at most ``limit`` bytes, else :class:`TooLarge` after reading just past it.

    Read in bounded chunks, so 60 MB on stdin costs no more memory than the cap.
    """
    chunks, size = [], 0
    while chunk := stream.read(min(_CHUNK, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise TooLarge(too_large_message(limit))
    return b"".join(chunks)


def body_type(raw: bytes, content_type: str | None) -> str:
    """The text type a body is read as: the declared one (a Content-Type value) when it is a text type and
    the bytes are not plainly binary, else what the bytes say; :class:`UnsupportedContent` when not text.

    A declared UTF-16/32 charset is believed: such text is full of NUL bytes.
    """
    declared = media_type(content_type)
    if declared in TEXT_TYPES and _wide_charset(content_type):
        return declared
    sniffed = sniff_type(raw)
    if sniffed not in TEXT_TYPES:
        raise UnsupportedContent(unsupported_message(sniffed))
    return declared if declared in TEXT_TYPES else sniffed


def _wide_charset(content_type: str | None) -> bool:
    labels = _declared_charsets(b"", content_type, html=False)
    return any(label.lower().replace("_", "-").startswith(("utf-16", "utf-32", "ucs-2")) for label in labels)


def media_type(header: str | None) -> str | None:
    """``"text/html"`` from ``"text/html; charset=utf-8"``; None when there is no header."""
    media = (header or "").split(";", 1)[0].strip().lower()
    return media or None


def unsupported_message(media: str) -> str:
    """The words for a link to something that is not a web page, e.g. a ZIP archive."""
    return f"That link points to {friendly_name(media)} ({media}), not a web page."


def friendly_name(media: str) -> str:
    """``"an image"`` for ``image/png``: what a person calls a file of this type."""
    return _FRIENDLY.get(media) or _FAMILIES.get(media.split("/", 1)[0]) or "a file"


def sniff_type(raw: bytes) -> str:
    """The media type the bytes say, from a file signature, HTML markers, or binary bytes.

    Binary means a binary data byte in the first bytes, or more than 1% of them overall (bytes that
    text, in any encoding without NULs, does not hold). UTF-16 text with a byte-order mark is text.
    """
    for signature, media in _SIGNATURES:
        if raw.startswith(signature):
            return media
    head, utf16 = raw[:_SNIFF_BYTES], False
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :].decode(encoding, errors="ignore").encode("utf-8")
            utf16 = encoding.startswith("utf-16")
    lowered = head.lower()
    if any(marker in lowered for marker in _HTML_MARKERS):
        return "application/xhtml+xml" if lowered.lstrip().startswith(b"<?xml") else "text/html"
    if not utf16 and _binary(head, raw):
        return "application/octet-stream"
    return "text/plain"


def _binary(head: bytes, raw: bytes) -> bool:
    if len(head.translate(None, _TEXT_BYTES)):
        return True
    return len(raw.translate(None, _TEXT_BYTES)) > _BINARY_SHARE * len(raw)


def decode_body(raw: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Bytes to text, never failing: ``(text, encoding used)``.

    Order: a byte-order mark; the charset in ``content_type`` (a Content-Type header value); for HTML a
    ``<meta charset>`` / ``http-equiv`` / XML declaration; then detection. A declared charset is used
    only when the bytes decode with it, and valid UTF-8 with non-ASCII bytes beats a single-byte
    label, because that is what a wrong label on a UTF-8 page looks like. Local files reuse this.
    """
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, errors="replace"), encoding
    media = media_type(content_type)
    for label in _declared_charsets(raw, content_type, html=media != "text/plain"):
        encoding = _codec_name(label)
        if encoding is None:
            continue
        try:
            text = raw.decode(encoding)
        except (ValueError, LookupError):  # UnicodeError from codecs such as punycode; LookupError: base64 ...
            continue
        if encoding != "utf-8" and not raw.isascii() and _is_utf8(raw):
            return raw.decode("utf-8"), "utf-8"
        return text, encoding
    return _detect(raw)


def _declared_charsets(raw: bytes, content_type: str | None, *, html: bool) -> list[str]:
    labels = []
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip(" \"'"):
            labels.append(value.strip(" \"'"))
    if html:
        for match in _META_CHARSET.finditer(raw[:16384]):
            label = (match.group(1) or match.group(2)).decode("ascii")
            # A page cannot truly declare UTF-16 inside itself in ASCII; browsers read that as UTF-8.
            labels.append("utf-8" if label.lower().startswith(("utf-16", "utf-32")) else label)
    return labels


def _codec_name(label: str) -> str | None:
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp1252" if name in _AS_CP1252 else name


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect(raw: bytes) -> tuple[str, str]:
    """Detection, leaning to windows-1252 when it reads about as cleanly as the best guess.

    Short Western European text is often guessed as a Baltic or Central European code page that
    decodes the same bytes slightly differently; windows-1252 is by far the likelier truth on the web.
    """
    if _is_utf8(raw):
        return raw.decode("utf-8"), "utf-8"
    results = charset_normalizer.from_bytes(raw)
    best = results.best()
    if best is None:
        return raw.decode("cp1252", errors="replace"), "cp1252"
    western = next((r for r in results if "cp1252" in r.could_be_from_charset), None)
    if western is not None and western.chaos <= best.chaos + _WESTERN_MARGIN:
        return raw.decode("cp1252", errors="replace"), "cp1252"
    return str(best), best.encoding
