"""Log lines an operator can follow: the request key on every line written while a request is handled.

LOG_FORMAT=json writes one JSON object a line (time, level, logger, message, request_key, exc_info)
for log shippers; the default is plain text. The key travels in a context variable, so every line a
door or a worker writes while handling a request carries it, whichever module wrote it.

    @logs.with_request_key            # the function's SummaryRequest argument names the key
    def accept(ctx, client, request): ...
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

REQUEST_KEY: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_key", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s"

F = TypeVar("F", bound=Callable)


def with_request_key(function: F) -> F:
    """Log lines written during the call carry the key of its SummaryRequest argument."""

    @functools.wraps(function)
    def keyed(*args, **kwargs):
        request = next((a for a in (*args, *kwargs.values()) if hasattr(a, "key") and hasattr(a, "door")), None)
        token = REQUEST_KEY.set(request.key if request is not None else REQUEST_KEY.get())
        try:
            return function(*args, **kwargs)
        finally:
            REQUEST_KEY.reset(token)

    return keyed  # type: ignore[return-value]


class RequestKeyFilter(logging.Filter):
    """Adds ``request_key`` (and ``request_tag`` for the text format) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        key = REQUEST_KEY.get()
        record.request_key = key
        record.request_tag = f" [{key[:12]}]" if key else ""
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_key": getattr(record, "request_key", REQUEST_KEY.get()),
        }
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup(*, verbose: bool, log_format: str = "text") -> None:
    """The root logger: stderr, DEBUG with --verbose, WARNING otherwise; text or JSON lines.

    Like logging.basicConfig, it leaves alone a root logger someone else configured (a test runner).
    """
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestKeyFilter())
    handler.setFormatter(JSONFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
