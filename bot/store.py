"""The durable state: who asked for what and what was posted, settings, the summary cache, usage.

SQLite in the data directory by default, PostgreSQL through DATABASE_URL
(`postgresql://user@host:5432/db`). The schema is Alembic's (bot/migrations, append-only); every
process brings the database up to date when it opens the store, one at a time.

The request table is what makes "one request, one summary, ever" hold across Slack's retries,
duplicate deliveries, restarts and workers killed mid-job: a request is claimed once (primary key),
run only under a lease (compare-and-set), and its reply progress is recorded part by part.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    Integer,
    String,
    case,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from bot.request import SummaryRequest


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Status(enum.StrEnum):
    QUEUED = "queued"
    POSTED = "posted"
    FAILED = "failed"


class RequestRow(Base):
    __tablename__ = "summary_requests"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(2048))
    door: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default=Status.QUEUED)
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    parts_posted: Mapped[int] = mapped_column(Integer, default=0)  # messages of the reply known posted
    sending_part: Mapped[int | None] = mapped_column(Integer)  # handed to Slack, no answer yet: its fate unknown
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(32))  # the token of the run holding the lease
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # runs started
    abandoned: Mapped[int] = mapped_column(Integer, default=0)  # runs whose worker died holding the lease
    timeouts: Mapped[int] = mapped_column(Integer, default=0)  # runs that ended in a fetch timeout
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class ScopeSettingsRow(Base):
    """Overrides for a workspace (channel "") or one channel; None means "inherit"."""

    __tablename__ = "scope_settings"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    auto_mode: Mapped[bool | None] = mapped_column(Boolean)
    reaction: Mapped[str | None] = mapped_column(String(64))
    max_words: Mapped[int | None] = mapped_column(Integer)
    paragraphs: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(32))
    shape: Mapped[str | None] = mapped_column(String(16))


class FeedbackRow(Base):
    """A person's 👍 or 👎 on one summary (the message the buttons are under); a second press replaces it."""

    __tablename__ = "feedback"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    vote: Mapped[int] = mapped_column(Integer)  # +1 or -1
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)


@dataclass(frozen=True)
class FeedbackTotals:
    up: int = 0
    down: int = 0


class CacheRow(Base):
    __tablename__ = "summary_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class UsageRow(Base):
    __tablename__ = "usage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32))
    backend: Mapped[str] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(128))
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class SeenRequestRow(Base):
    """A signed HTTP request already let in, remembered while its signature could still pass (replay guard)."""

    __tablename__ = "seen_requests"

    signature: Mapped[str] = mapped_column(String(80), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SeenLinksRow(Base):
    """The links of a message the app saw, so a reaction or a mention on it needs no history read."""

    __tablename__ = "seen_links"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    links: Mapped[list] = mapped_column(JSON)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class SeenLinks:
    """A message as the app saw it go by: where its thread is and the links it carries (maybe none)."""

    ts: str
    thread_ts: str | None
    links: list[str]


class QueueWorkerRow(Base):
    """A queue worker process's heartbeat: what /healthz and `worker --check` read, from any machine."""

    __tablename__ = "queue_workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    threads: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    beat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


SETTING_FIELDS = ("auto_mode", "reaction", "max_words", "paragraphs", "language", "shape")

# What RETENTION_DAYS purges: each table, and the column that says how old a row is. A new table that
# holds what people shared or said (links, article text, summaries, feedback) gets a line here.
RETAINED = {
    "summary_requests": "updated_at",  # who asked for which link where; untouched this long, it is done
    "summary_cache": "created_at",  # article text and summaries
    "usage": "created_at",  # tokens and cost per request, with team, channel and user
    "seen_requests": "seen_at",  # signatures of requests let in (normally gone after 10 minutes)
    "seen_links": "seen_at",  # links of messages the app saw (normally gone after SEEN_LINKS_HOURS)
    "queue_workers": "beat_at",  # heartbeats of worker processes (a killed one leaves its row behind)
    "feedback": "created_at",  # who liked or disliked which summary
}


@dataclass(frozen=True)
class Claim:
    """The answer to "may I start this request?"."""

    new: bool  # this ask is the first: enqueue it
    same_delivery: bool  # a retry or duplicate delivery of the ask that got there first: drop quietly
    status: str
    thread_ts: str | None  # where the earlier summary lives (or will), for a pointer


@dataclass(frozen=True)
class Lease:
    """The right to run a request, held by one run: only its token renews or releases it."""

    key: str
    token: str
    attempts: int  # runs started, this one included
    abandoned: int  # earlier runs whose worker died (or stalled) holding the lease


@dataclass(frozen=True)
class Progress:
    status: str
    thread_ts: str | None
    parts_posted: int
    in_doubt: bool = False  # the next message was sent and its fate is unknown: look before posting it


@dataclass(frozen=True)
class QueueStats:
    depth: int  # requests queued or running
    oldest_age: float  # seconds since the oldest of them was asked for; 0 when none


@dataclass(frozen=True)
class UsageTotals:
    summaries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Store:
    def __init__(self, database_url: str) -> None:
        url = _driver_url(database_url)
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, pool_pre_ping=True, connect_args=_connect_args(url))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_wal)
        migrate(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def ensure_tables(self, metadata) -> None:
        """Tables a library owns (Bolt's installation and OAuth state stores), created once, under the lock."""
        with _migration_lock(self.engine):
            metadata.create_all(self.engine)

    # -- requests -----------------------------------------------------------------------------

    def claim(self, request: SummaryRequest) -> Claim:
        """Record the request unless its key is known; atomic across processes (primary key)."""
        row = RequestRow(
            key=request.key,
            team_id=request.team_id,
            channel=request.channel,
            user_id=request.user,
            url=request.url,
            door=request.door,
            event_id=request.event_id,
            status=Status.QUEUED,
            thread_ts=request.thread_ts,
            payload=request.to_dict(),
        )
        try:
            with self._session.begin() as session:
                session.add(row)
            return Claim(new=True, same_delivery=False, status=Status.QUEUED, thread_ts=request.thread_ts)
        except IntegrityError:
            with self._session() as session:
                known = session.get(RequestRow, request.key)
            same = request.event_id is not None and known.event_id == request.event_id
            return Claim(new=False, same_delivery=same, status=known.status, thread_ts=known.thread_ts)

    def lease(self, key: str, seconds: float) -> Lease | None:
        """Take the right to run a queued request (compare-and-set); None while another run holds it.

        A lease still owned when it is taken again was never released: the run that held it died, so
        it counts as abandoned (the attempt cap for pages that kill their worker).
        """
        moment, token = now(), uuid.uuid4().hex
        with self._session.begin() as session:
            result = session.execute(
                update(RequestRow)
                .where(RequestRow.key == key, RequestRow.status == Status.QUEUED)
                .where(or_(RequestRow.lease_until.is_(None), RequestRow.lease_until < moment))
                .values(
                    lease_until=moment + timedelta(seconds=seconds),
                    lease_owner=token,
                    attempts=RequestRow.attempts + 1,
                    abandoned=RequestRow.abandoned + case((RequestRow.lease_owner.is_(None), 0), else_=1),
                    updated_at=moment,
                )
            )
            if result.rowcount != 1:
                return None
            attempts, abandoned = session.execute(
                select(RequestRow.attempts, RequestRow.abandoned).where(RequestRow.key == key)
            ).one()
        return Lease(key, token, attempts, abandoned)

    def renew(self, lease: Lease, seconds: float) -> bool:
        """Extend a lease this run still holds; False once another run took it over."""
        return self._update_leased(lease, lease_until=now() + timedelta(seconds=seconds))

    def release(self, lease: Lease) -> None:
        """Give the request back (a retry or the reaper may take it at once): not an abandoned run."""
        self._update_leased(lease, lease_until=None, lease_owner=None)

    def record_timeout(self, lease: Lease) -> int:
        """Count a run that ended in a fetch timeout; returns how many have."""
        with self._session.begin() as session:
            session.execute(
                update(RequestRow).where(RequestRow.key == lease.key).values(timeouts=RequestRow.timeouts + 1)
            )
            return session.scalar(select(RequestRow.timeouts).where(RequestRow.key == lease.key))

    def _update_leased(self, lease: Lease, **values) -> bool:
        with self._session.begin() as session:
            result = session.execute(
                update(RequestRow)
                .where(RequestRow.key == lease.key, RequestRow.lease_owner == lease.token)
                .values(updated_at=now(), **values)
            )
            return result.rowcount == 1

    def progress(self, key: str) -> Progress | None:
        with self._session() as session:
            row = session.get(RequestRow, key)
            if row is None:
                return None
            return Progress(row.status, row.thread_ts, row.parts_posted, in_doubt=row.sending_part is not None)

    def created_at(self, key: str) -> datetime | None:
        with self._session() as session:
            moment = session.scalar(select(RequestRow.created_at).where(RequestRow.key == key))
            return _aware(moment) if moment else None

    def record_thread(self, key: str, thread_ts: str) -> None:
        self._update(key, thread_ts=thread_ts)

    def record_part_posted(self, key: str, parts_posted: int) -> None:
        self._update(key, parts_posted=parts_posted, sending_part=None)

    def record_sending(self, key: str, parts_posted: int) -> None:
        """Message ``parts_posted`` is about to be sent: until :meth:`record_part_posted`, its fate is unknown."""
        self._update(key, parts_posted=parts_posted, sending_part=parts_posted)

    def finish(self, key: str, status: Status) -> None:
        self._update(key, status=status, lease_until=None, lease_owner=None)

    def stranded(self, idle_seconds: float) -> list[SummaryRequest]:
        """Queued requests a dead worker left behind: its lease ran out, or (never leased, or released)
        nobody touched them for ``idle_seconds`` because their queue entry was lost."""
        with self._session() as session:
            rows = session.scalars(select(RequestRow).where(_stranded(now(), idle_seconds))).all()
        return [SummaryRequest.from_dict(row.payload) for row in rows]

    def reclaim(self, key: str, idle_seconds: float) -> bool:
        """Take a stranded request back for the queue, once: of reapers racing for it, one gets True.

        The run that held it stays its lease owner, so its next lease counts that run as abandoned.
        """
        moment = now()
        with self._session.begin() as session:
            result = session.execute(
                update(RequestRow)
                .where(RequestRow.key == key, _stranded(moment, idle_seconds))
                .values(lease_until=None, updated_at=moment)
            )
            return result.rowcount == 1

    def others_pending(self, request: SummaryRequest) -> bool:
        """Whether other links of the same message are still being summarized (for its status reaction)."""
        with self._session() as session:
            payloads = session.scalars(
                select(RequestRow.payload).where(
                    RequestRow.team_id == request.team_id,
                    RequestRow.channel == request.channel,
                    RequestRow.status == Status.QUEUED,
                    RequestRow.key != request.key,
                    RequestRow.url != "",  # a message still being read: its links are the requests that count
                )
            ).all()
        return any(payload.get("source_ts") == request.source_ts for payload in payloads)

    def touch(self, key: str) -> None:
        self._update(key)

    def earlier_summary(self, team_id: str, channel: str, url: str, since: datetime) -> str | None:
        """The thread where this URL was already summarized in this channel since ``since``."""
        with self._session() as session:
            return session.scalar(
                select(RequestRow.thread_ts)
                .where(RequestRow.team_id == team_id, RequestRow.channel == channel, RequestRow.url == url)
                .where(RequestRow.status == Status.POSTED, RequestRow.created_at >= since)
                .order_by(RequestRow.created_at)
                .limit(1)
            )

    def requests_by_user(self, team_id: str, user: str, since: datetime) -> int:
        with self._session() as session:
            return session.scalar(
                select(func.count())
                .select_from(RequestRow)
                .where(RequestRow.team_id == team_id, RequestRow.user_id == user, RequestRow.created_at >= since)
                .where(RequestRow.url != "")  # a message still to be read is not a summary (its links will be)
            )

    def _update(self, key: str, **values) -> None:
        with self._session.begin() as session:
            session.execute(update(RequestRow).where(RequestRow.key == key).values(updated_at=now(), **values))

    # -- queue workers' heartbeats ------------------------------------------------------------

    def worker_beat(self, worker_id: str, host: str, pid: int, threads: int) -> None:
        moment = now()
        with self._session.begin() as session:
            row = session.get(QueueWorkerRow, worker_id)
            if row is None:
                session.add(QueueWorkerRow(id=worker_id, host=host, pid=pid, threads=threads, beat_at=moment))
            else:
                row.beat_at = moment

    def worker_gone(self, worker_id: str) -> None:
        with self._session.begin() as session:
            session.execute(delete(QueueWorkerRow).where(QueueWorkerRow.id == worker_id))

    def live_workers(self, within: float, host: str | None = None) -> int:
        """Queue worker processes (on ``host``, or anywhere) that wrote a heartbeat in the last ``within`` s."""
        query = select(func.count()).where(QueueWorkerRow.beat_at >= now() - timedelta(seconds=within))
        if host is not None:
            query = query.where(QueueWorkerRow.host == host)
        with self._session() as session:
            return session.scalar(query.select_from(QueueWorkerRow))

    # -- signed requests let in -------------------------------------------------------------

    def first_sighting(self, signature: str, window: timedelta) -> bool:
        """True the first time ``signature`` comes within ``window``; a replay of it gets False.

        Atomic across processes (primary key), so a replay sent to another replica is caught too.
        """
        moment = now()
        try:
            with self._session.begin() as session:
                session.execute(delete(SeenRequestRow).where(SeenRequestRow.seen_at < moment - window))
                session.add(SeenRequestRow(signature=signature, seen_at=moment))
            return True
        except IntegrityError:
            return False

    # -- links of messages seen ---------------------------------------------------------------

    def remember_links(self, team_id: str, channel: str, message: SeenLinks, keep: timedelta) -> None:
        """Remember (or update, after an edit) a message's links; forget those seen longer than ``keep`` ago."""
        moment = now()
        with self._session.begin() as session:
            session.execute(delete(SeenLinksRow).where(SeenLinksRow.seen_at < moment - keep))
            session.merge(
                SeenLinksRow(
                    team_id=team_id,
                    channel=channel,
                    ts=message.ts,
                    thread_ts=message.thread_ts,
                    links=list(message.links),
                    seen_at=moment,
                )
            )

    def seen_links(self, team_id: str, channel: str, ts: str, keep: timedelta) -> SeenLinks | None:
        """The message's links if the app saw it within ``keep``; None for a message it must read from Slack."""
        with self._session() as session:
            row = session.get(SeenLinksRow, (team_id, channel, ts))
            if row is None or _aware(row.seen_at) < now() - keep:
                return None
            return SeenLinks(ts=row.ts, thread_ts=row.thread_ts, links=list(row.links))

    def forget_links(self, team_id: str, channel: str, ts: str) -> None:
        with self._session.begin() as session:
            session.execute(
                delete(SeenLinksRow).where(
                    SeenLinksRow.team_id == team_id, SeenLinksRow.channel == channel, SeenLinksRow.ts == ts
                )
            )

    # -- settings -----------------------------------------------------------------------------

    def scope_settings(self, team_id: str, channel: str = "") -> dict[str, object]:
        """The overrides stored for a workspace (channel "") or a channel, without inheritance."""
        with self._session() as session:
            row = session.get(ScopeSettingsRow, (team_id, channel))
            return {name: getattr(row, name) for name in SETTING_FIELDS} if row else dict.fromkeys(SETTING_FIELDS)

    def save_settings(self, team_id: str, channel: str = "", **values: object) -> None:
        unknown = set(values) - set(SETTING_FIELDS)
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        merged = self.scope_settings(team_id, channel) | values
        with self._session.begin() as session:
            session.merge(ScopeSettingsRow(team_id=team_id, channel=channel, **merged))

    # -- the summary cache --------------------------------------------------------------------

    def cache_get(self, key: str, max_age: timedelta) -> dict | None:
        with self._session() as session:
            row = session.get(CacheRow, key)
            fresh = row is not None and _aware(row.created_at) >= now() - max_age
            return row.payload if fresh else None

    def cache_put(self, key: str, url: str, payload: dict) -> None:
        with self._session.begin() as session:
            session.merge(CacheRow(key=key, url=url, payload=payload, created_at=now()))

    def save_evidence(self, request_key: str, team_id: str, url: str, evidence: dict) -> None:
        """Keep what a summary's "Show evidence" modal shows, beside the cached summaries (and purged
        with them), under a key no summary has and with no URL, so a look-up of a URL's cached article
        never finds it."""
        payload = {"team_id": team_id, "url": url, "evidence": evidence}
        with self._session.begin() as session:
            session.merge(CacheRow(key=_evidence_key(request_key), url="", payload=payload, created_at=now()))

    def evidence(self, request_key: str, team_id: str) -> dict | None:
        """The evidence stored for a request of this workspace, or None."""
        with self._session() as session:
            row = session.get(CacheRow, _evidence_key(request_key))
            return row.payload["evidence"] if row is not None and row.payload.get("team_id") == team_id else None

    # -- usage --------------------------------------------------------------------------------

    def record_usage(self, request: SummaryRequest, backend: str, model: str | None, usage, cost_usd: float) -> None:
        with self._session.begin() as session:
            session.add(
                UsageRow(
                    team_id=request.team_id,
                    channel=request.channel,
                    user_id=request.user,
                    backend=backend,
                    model=model,
                    prompt_tokens=usage.prompt_tokens,
                    completion_tokens=usage.completion_tokens,
                    cost_usd=cost_usd,
                )
            )

    def usage_totals(self, team_id: str, since: datetime, **where: str) -> UsageTotals:
        """Totals for a workspace since a moment, optionally for one channel or user (channel=, user_id=)."""
        query = select(
            func.count(),
            func.coalesce(func.sum(UsageRow.prompt_tokens), 0),
            func.coalesce(func.sum(UsageRow.completion_tokens), 0),
            func.coalesce(func.sum(UsageRow.cost_usd), 0.0),
        ).where(UsageRow.team_id == team_id, UsageRow.created_at >= since)
        for column, value in where.items():
            query = query.where(getattr(UsageRow, column) == value)
        with self._session() as session:
            count, prompt, completion, cost = session.execute(query).one()
        return UsageTotals(count, int(prompt), int(completion), float(cost))

    # -- the conversation after a summary (issue 12) --------------------------------------------

    def record_feedback(self, team_id: str, channel: str, message_ts: str, user: str, url: str, vote: int) -> None:
        with self._session.begin() as session:
            session.merge(FeedbackRow(team_id=team_id, channel=channel, message_ts=message_ts, user_id=user,
                                      url=url, vote=vote, created_at=now()))

    def feedback_totals(self, team_id: str, since: datetime) -> FeedbackTotals:
        with self._session() as session:
            votes = session.execute(
                select(FeedbackRow.vote, func.count())
                .where(FeedbackRow.team_id == team_id, FeedbackRow.created_at >= since)
                .group_by(FeedbackRow.vote)
            ).all()
        counts = dict(votes)
        return FeedbackTotals(up=counts.get(1, 0), down=counts.get(-1, 0))

    def thread_link(self, team_id: str, channel: str, thread_ts: str) -> str | None:
        """The link most recently summarized in this thread, from the app's own requests (no history read)."""
        with self._session() as session:
            return session.scalar(
                select(RequestRow.url)
                .where(RequestRow.team_id == team_id, RequestRow.channel == channel, RequestRow.thread_ts == thread_ts)
                .where(RequestRow.url != "", RequestRow.status != Status.FAILED)
                .order_by(RequestRow.created_at.desc())
                .limit(1)
            )

    def cached_article(self, url: str, max_age: timedelta) -> dict | None:
        """The article (as the cache keeps it) of the newest summary of ``url`` within ``max_age``."""
        with self._session() as session:
            payload = session.scalar(
                select(CacheRow.payload)
                .where(CacheRow.url == url, CacheRow.created_at >= now() - max_age)
                .order_by(CacheRow.created_at.desc())
                .limit(1)
            )
        return payload["article"] if payload else None

    # -- operations ---------------------------------------------------------------------------

    def queue_stats(self) -> QueueStats:
        with self._session() as session:
            depth, oldest = session.execute(
                select(func.count(), func.min(RequestRow.created_at)).where(RequestRow.status == Status.QUEUED)
            ).one()
        return QueueStats(depth, max(0.0, (now() - _aware(oldest)).total_seconds()) if oldest else 0.0)

    def purge(self, older_than: timedelta) -> dict[str, int]:
        """Delete what RETAINED lists once it is older than ``older_than``; rows deleted, by table.

        A transaction a table, so the doors and workers wait for no long lock."""
        cutoff = now() - older_than
        deleted = {}
        for name, column in RETAINED.items():
            table = Base.metadata.tables.get(name)
            if table is not None:
                with self._session.begin() as session:
                    deleted[name] = session.execute(delete(table).where(table.c[column] < cutoff)).rowcount
        return deleted


def _stranded(moment: datetime, idle_seconds: float):
    idle = RequestRow.updated_at < moment - timedelta(seconds=idle_seconds)
    return (RequestRow.status == Status.QUEUED) & or_(
        RequestRow.lease_until < moment, RequestRow.lease_until.is_(None) & idle
    )


def migrate(engine: Engine) -> None:
    """Bring the schema up to date, one process at a time (several start together when scaled out)."""
    config = migration_config()
    with _migration_lock(engine), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def migration_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "bot:migrations")
    return config


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(720531)"))
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(720531)"))
                connection.commit()
    elif engine.dialect.name == "sqlite" and engine.url.database:
        with open(f"{engine.url.database}.migrate-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
    else:
        yield


def _evidence_key(request_key: str) -> str:
    return "evidence:" + request_key[:55]  # the cache's keys are 64 characters at most


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _driver_url(url: str) -> str:
    """Accept the usual `postgresql://user@host/db` and pick the installed psycopg 3 driver."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_wal(connection, _record) -> None:
    """Readers never wait for the writer: the doors record requests while workers update theirs."""
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")


def _connect_args(url: str) -> dict:
    """SQLite: wait for a writer instead of failing at once, as several workers share the file."""
    return {"timeout": 30} if url.startswith("sqlite") else {}
