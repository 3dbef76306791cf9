"""A safe GET: SSRF guard on every hop, timeouts, size cap, content type and charset.

(Stub: interface fixed, body owned by the fetch work.)
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings


@dataclass(frozen=True)
class Page:
    """What came back from the web (or a local file): decoded text plus where it really came from."""

    url: str  # final URL after redirects (or the file path / "-" for local input)
    text: str  # decoded body
    content_type: str  # "text/html", "application/xhtml+xml" or "text/plain"
    status: int = 200
    encoding: str | None = None
    requested_url: str | None = None

    @property
    def is_html(self) -> bool:
        return self.content_type != "text/plain"


def fetch(url: str, settings: Settings, session=None) -> Page:
    raise NotImplementedError
