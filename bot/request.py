"""SummaryRequest: what every door hands to the queue, whichever door it was."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.spec import SummarySpec

Door = Literal["message", "reaction", "command", "mention", "shortcut"]


@dataclass(frozen=True)
class SummaryRequest:
    """One link to summarize and where the answer goes.

    ``thread_ts`` is the thread to reply in; ``None`` only for ``/summarize``, where the worker
    first posts a parent message and replies in its thread. ``source_ts`` is the message that
    carried the link (status reactions go there), when there is one.
    """

    url: str
    team_id: str
    channel: str
    user: str | None
    door: Door
    spec: SummarySpec = field(default_factory=SummarySpec)
    thread_ts: str | None = None
    source_ts: str | None = None
    response_url: str | None = None
    event_id: str | None = None  # Slack's id for the delivery that asked (retries share it)

    @property
    def key(self) -> str:
        """The idempotency key: one summary per link, per message (or command), per spec."""
        anchor = self.source_ts or self.thread_ts or self.event_id or ""
        spec = f"{self.spec.max_words}/{self.spec.paragraphs}/{self.spec.language or ''}"
        raw = f"{self.team_id}|{self.channel}|{anchor}|{self.url}|{spec}"
        return hashlib.sha256(raw.encode()).hexdigest()[:40]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SummaryRequest:
        return cls(**{**data, "spec": SummarySpec(**data["spec"])})
