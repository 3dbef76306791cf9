"""The durable state: who asked for what, what was posted, and per-channel settings.

SQLite in the data directory by default, PostgreSQL (or anything SQLAlchemy speaks) through
DATABASE_URL. The request table is what makes "one request, one summary, ever" hold across Slack's
retries, duplicate deliveries and restarts.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, create_engine, event, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from bot.request import SummaryRequest


def _now() -> datetime:
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
    url: Mapped[str] = mapped_column(String(2048))
    door: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=Status.QUEUED)
    thread_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    parts_posted: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)


class ChannelSettingsRow(Base):
    __tablename__ = "channel_settings"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    auto_mode: Mapped[bool] = mapped_column(Boolean, default=True)


@dataclass(frozen=True)
class Claim:
    """The answer to "may I start this request?"."""

    new: bool  # this ask is the first: enqueue it
    same_delivery: bool  # a retry or duplicate delivery of the ask that got there first: drop quietly
    status: str
    thread_ts: str | None  # where the earlier summary lives (or will), for a pointer


@dataclass(frozen=True)
class Progress:
    status: str
    thread_ts: str | None
    parts_posted: int


class Store:
    def __init__(self, database_url: str) -> None:
        if database_url.startswith("sqlite:///"):
            Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(_driver_url(database_url), pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_wal)
        Base.metadata.create_all(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def claim(self, request: SummaryRequest) -> Claim:
        """Record the request unless its key is known; atomic across processes (primary key)."""
        row = RequestRow(
            key=request.key,
            team_id=request.team_id,
            channel=request.channel,
            url=request.url,
            door=request.door,
            event_id=request.event_id,
            thread_ts=request.thread_ts,
            payload=json.loads(json.dumps(request.to_dict())),
        )
        try:
            with self._session.begin() as session:
                session.add(row)
            return Claim(new=True, same_delivery=False, status=Status.QUEUED, thread_ts=request.thread_ts)
        except IntegrityError:
            with self._session() as session:
                known = session.get(RequestRow, request.key)
            same = known.event_id == request.event_id and request.event_id is not None
            return Claim(new=False, same_delivery=same, status=known.status, thread_ts=known.thread_ts)

    def progress(self, key: str) -> Progress | None:
        with self._session() as session:
            row = session.get(RequestRow, key)
            return row and Progress(row.status, row.thread_ts, row.parts_posted)

    def record_thread(self, key: str, thread_ts: str) -> None:
        self._update(key, thread_ts=thread_ts)

    def record_part_posted(self, key: str, parts_posted: int) -> None:
        self._update(key, parts_posted=parts_posted)

    def finish(self, key: str, status: Status) -> None:
        self._update(key, status=status)

    def pending(self) -> list[SummaryRequest]:
        """Requests accepted but never finished (a worker died, or the queue lost them)."""
        with self._session() as session:
            rows = session.scalars(select(RequestRow).where(RequestRow.status == Status.QUEUED)).all()
        return [SummaryRequest.from_dict(row.payload) for row in rows]

    def auto_mode(self, team_id: str, channel: str) -> bool:
        with self._session() as session:
            row = session.get(ChannelSettingsRow, (team_id, channel))
            return True if row is None else row.auto_mode

    def set_auto_mode(self, team_id: str, channel: str, enabled: bool) -> None:
        with self._session.begin() as session:
            session.merge(ChannelSettingsRow(team_id=team_id, channel=channel, auto_mode=enabled))

    def _update(self, key: str, **values) -> None:
        with self._session.begin() as session:
            session.execute(update(RequestRow).where(RequestRow.key == key).values(updated_at=_now(), **values))


def _sqlite_wal(connection, _record) -> None:
    """Write-ahead logging: the doors' claims and the workers' updates don't wait on each other's reads,
    which keeps a busy queue from stalling an ack in SQLite's lock back-off (see benchmarks/ack.py)."""
    connection.execute("PRAGMA journal_mode=WAL")


def _driver_url(url: str) -> str:
    """Accept the usual `postgresql://user@host/db` and pick the installed psycopg 3 driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
