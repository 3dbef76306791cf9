"""SummaryRequest: what every door hands to the queue, whichever door it was."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.spec import SummarySpec

Door = Literal["message", "reaction", "command", "mention", "shortcut", "control", "assistant"]


@dataclass(frozen=True)
class Authorization:
    """Which installation answers a request: what Bolt's authorize looked up when the request came in.

    A worker looks the bot token up again, later, with exactly these keys
    (``InstallationStore.find_bot(enterprise_id=, team_id=, is_enterprise_install=)``): on Enterprise
    Grid the workspace alone does not name the installation, and an org-wide install has no team at all.
    In a Slack Connect channel they are the app's own installation, not the sender's workspace.
    """

    enterprise_id: str | None = None
    team_id: str | None = None
    is_enterprise_install: bool = False
    user_id: str | None = None  # the user the event was authorized for, when Slack says
    bot_id: str | None = None
    bot_user_id: str | None = None

    def describe(self) -> str:
        """What was looked up, for an admin reading the log."""
        return (
            f"enterprise_id={self.enterprise_id or '-'} team_id={self.team_id or '-'} "
            f"is_enterprise_install={self.is_enterprise_install}"
        )


@dataclass(frozen=True)
class SummaryRequest:
    """One link to summarize and where the answer goes.

    ``thread_ts`` is the thread to reply in; ``None`` only for ``/summarize``, where the worker
    first posts a parent message and replies in its thread. ``source_ts`` is the message that
    carried the link (status reactions go there), when there is one. An empty ``url`` asks the
    worker to read message ``source_ts`` (one the app has not seen) and queue its links.
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
    auth: Authorization | None = None  # None: the one workspace of SLACK_BOT_TOKEN (or a request queued before)
    fresh: bool = False  # summarize again, not from the cache (Regenerate)
    press: str | None = None  # the button press that asked (handlers/controls.py): its own idempotency key

    @property
    def key(self) -> str:
        """The idempotency key: one summary per link, per message (or command), per spec."""
        anchor = self.source_ts or self.thread_ts or self.event_id or ""
        spec = f"{self.spec.max_words}/{self.spec.paragraphs}/{self.spec.language or ''}"
        if self.spec.shape != "paragraphs":
            spec += f"/{self.spec.shape}"
        raw = f"{self.team_id}|{self.channel}|{anchor}|{self.url}|{spec}"
        if self.press:  # a press asks once, however often it is clicked or delivered
            raw = f"{self.team_id}|{self.channel}|press|{self.press}"
        return hashlib.sha256(raw.encode()).hexdigest()[:40]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def authorization(self) -> Authorization:
        """The installation to answer with; a request queued before requests carried it names its team only."""
        return self.auth or Authorization(team_id=self.team_id or None)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SummaryRequest:
        auth = data.get("auth")
        return cls(
            **{**data, "spec": SummarySpec(**data["spec"]), "auth": Authorization(**auth) if auth else None}
        )
