"""bot.content: what a body is (sniffed media type) and its text (charset), for pages and local files."""

from __future__ import annotations

import io

import pytest

from bot.content import body_type, decode_body, read_capped, sniff_type, too_large_message, unsupported_message
from bot.errors import TooLarge, UnsupportedContent


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
        (b"\x7fELF\x02\x01\x01\x00" + bytes(64), "application/octet-stream"),
        (b"SQLite format 3\x00" + bytes(100), "application/octet-stream"),
        (b"ID3\x04\x00\x00\x00\x00\x00" + b"\xff\xfb" * 50, "application/octet-stream"),
        ("Grüße, \x1b[1mbold\x1b[0m\ttab\fform feed\r\n".encode(), "text/plain"),
        ("Caf\xe9 au lait\n".encode("cp1252") * 500, "text/plain"),
        ("Grüße\n".encode("utf-16"), "text/plain"),
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


def test_binary_bytes_past_the_first_ones_still_make_a_body_binary() -> None:
    assert sniff_type(b"A plain start.\n" * 200 + bytes(range(256)) * 40) == "application/octet-stream"


@pytest.mark.parametrize("content_type", ["text/plain", "text/html; charset=utf-8", None])
def test_a_binary_body_is_refused_whatever_its_label_says(content_type: str | None) -> None:
    with pytest.raises(UnsupportedContent, match=r"^That link points to a file \(application/octet-stream\)"):
        body_type(bytes(range(256)) * 16, content_type)


def test_a_declared_text_type_is_kept_and_a_missing_one_sniffed() -> None:
    assert body_type(b"<p>markup in a text file</p>", "text/plain") == "text/plain"
    assert body_type(b"<p>markup</p>", None) == "text/html"
    assert body_type("<p>Grüße</p>".encode("utf-16-le"), "text/html; charset=UTF-16LE") == "text/html"


def test_read_capped_returns_a_body_up_to_the_cap() -> None:
    assert read_capped(io.BytesIO(b"x" * 5000), 5000) == b"x" * 5000


class Endless(io.RawIOBase):
    """An endless stream that counts what was taken from it."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        buffer[:] = b"w" * len(buffer)
        self.served += len(buffer)
        return len(buffer)


def test_read_capped_stops_just_past_the_cap_on_an_endless_stream() -> None:
    stream = Endless()
    with pytest.raises(TooLarge) as caught:
        read_capped(io.BufferedReader(stream), 1_000_000)
    assert caught.value.message == too_large_message(1_000_000) == "That page is too large to summarize (over 1 MB)."
    assert stream.served <= 1_000_000 + 2 * 64 * 1024
