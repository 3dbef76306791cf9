"""Every failure a person can be told about, in one tree.

    BotError                      message: the plain words a person reads
    ├── InputError                bad URL, bad option, unreadable file         (CLI exit 2)
    ├── FetchError                the page could not be had                    (CLI exit 3)
    │   ├── BlockedAddress        SSRF guard: private, loopback, link-local ...
    │   ├── FetchTimeout
    │   ├── HTTPStatusError       404, 410, 500 ...
    │   ├── TooLarge
    │   └── UnsupportedContent
    ├── ExtractError              the page holds no article we can use         (CLI exit 3)
    │   ├── Wall                  a login, cookie choice or JavaScript shell stands before the text
    │   │   └── Paywall
    │   └── NotAnArticle
    ├── SummarizeError            the summarizer failed                        (CLI exit 4)
    └── DeliveryError             Slack refused or failed to take the reply

Foreign exceptions (requests, openai) are translated into this tree where they happen, with
``raise ... from exc``, so the doors (CLI, Slack handlers, jobs) catch ``BotError`` in one place.
``transient`` tells the job queue whether trying again later may help.
"""

from __future__ import annotations


class BotError(Exception):
    exit_code = 1
    transient = False

    def __init__(self, message: str, *, transient: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if transient is not None:
            self.transient = transient


class InputError(BotError):
    exit_code = 2


class FetchError(BotError):
    exit_code = 3


class BlockedAddress(FetchError):
    pass


class FetchTimeout(FetchError):
    transient = True


class HTTPStatusError(FetchError):
    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, transient=status in (429, 500, 502, 503, 504))
        self.status = status


class TooLarge(FetchError):
    pass


class UnsupportedContent(FetchError):
    pass


class ExtractError(BotError):
    exit_code = 3


class Wall(ExtractError):
    """The page shows a login, a cookie choice or an empty JavaScript shell instead of its text (bot/walls.py)."""


class Paywall(Wall):
    pass


class NotAnArticle(ExtractError):
    pass


class SummarizeError(BotError):
    exit_code = 4


class DeliveryError(BotError):
    """Slack would not take a reply. ``error`` is Slack's code (``not_in_channel``, ``ratelimited`` ...)."""

    def __init__(self, message: str, *, error: str, transient: bool = False) -> None:
        super().__init__(message, transient=transient)
        self.error = error
