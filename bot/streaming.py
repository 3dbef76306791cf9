"""A model's first draft of a summary, passed on while it is written (STREAM_REPLIES with OpenAI).

    with streaming.to(sink):          # the worker, around one request
        summarize_source(...)         # the OpenAI summarizer calls streaming.emit(delta) while drafting

A context variable, not an argument: the summarizer is shared by the worker threads, and only the
first draft of the summary itself streams (not the notes of a long article, not a correction). What
streams is a draft; the checked summary replaces it (bot/deliver.py DraftStream).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

Sink = Callable[[str], None]

_sink: ContextVar[Sink | None] = ContextVar("draft_sink", default=None)
_drafting: ContextVar[bool] = ContextVar("drafting", default=False)


@contextlib.contextmanager
def to(sink: Sink | None) -> Iterator[None]:
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)


@contextlib.contextmanager
def drafting() -> Iterator[None]:
    """Around the request whose reply is the summary's first draft."""
    token = _drafting.set(True)
    try:
        yield
    finally:
        _drafting.reset(token)


def wanted() -> bool:
    return _sink.get() is not None


def emit(text: str) -> None:
    if text and _drafting.get() and (sink := _sink.get()) is not None:
        sink(text)
