"""bot.content: what a body is (sniffed media type) and its text (charset), for pages and local files."""

from __future__ import annotations

import pytest

from bot.content import decode_body, sniff_type, unsupported_message


@pytest.mark.parametrize(
    ("raw", "content_type", "text", "encoding"),
    [
        ("Grüße".encode(), None, "Grüße", "utf-8"),
        ("Grüße".encode("utf-16"), None, "Grüße", "utf-16-le"),
        ('<?xml version="1.0" encoding="iso-8859-15"?><p>\u20ac</p>'.encode("iso-8859-15"), "application/xhtml+xml",
         '<?xml version="1.0" encoding="iso-8859-15"?><p>\u20ac</p>', "iso8859-15"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>Мир</p>'.encode("koi8-r"),
         "text/html", '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>Мир</p>', "koi8-r"),
        (b"caf\xe9 \x93quoted\x94", "text/plain; charset=iso-8859-1", "café “quoted”", "cp1252"),
    ],
)  # fmt: skip
def test_decode_body_follows_bom_header_meta_then_detection(raw, content_type, text, encoding) -> None:
    assert decode_body(raw, content_type) == (text, encoding)


@pytest.mark.parametrize("label", ["x-made-up", "base64", "utf-7", ""])
def test_decode_body_survives_bogus_labels(label: str) -> None:
    text, _ = decode_body("naïve café".encode(), f"text/html; charset={label}")
    assert text == "naïve café"


def test_decode_body_never_fails_on_noise() -> None:
    text, encoding = decode_body(bytes(range(256)) * 4, "text/html; charset=utf-8")
    assert isinstance(text, str) and encoding


@pytest.mark.parametrize(
    ("raw", "media"),
    [
        (b"%PDF-1.7 ...", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"  <!DOCTYPE html><html><body>hi</body></html>", "text/html"),
        (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">', "application/xhtml+xml"),
        (b"Just some words.\nAnd more.", "text/plain"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream"),
    ],
)
def test_sniff_type_reads_the_first_bytes(raw: bytes, media: str) -> None:
    assert sniff_type(raw) == media


@pytest.mark.parametrize(
    ("media", "words"),
    [
        ("application/pdf", "a PDF"),
        ("image/webp", "an image"),
        ("video/mp4", "a video"),
        ("application/x-whatever", "a file"),
    ],
)
def test_unsupported_content_is_named_in_plain_words(media: str, words: str) -> None:
    assert unsupported_message(media) == f"That link points to {words} ({media}), not a web page."
