"""RETENTION_DAYS holds: what people shared and what was made of it (request rows, article text and
summaries in the cache, usage) is deleted once older than that, by `python -m bot purge` and by the queue
workers, and everything newer stays. On SQLite and on PostgreSQL (which runs under CI=true)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from bot.cli import main
from bot.config import Settings
from bot.jobs import Queue
from bot.request import SummaryRequest
from bot.store import RETAINED, Base, CacheRow, RequestRow, Store, UsageRow, now
from bot.summarizers import Usage

DAYS = 30


def ask(url: str) -> SummaryRequest:
    return SummaryRequest(url=url, team_id="T1", channel="C1", user="U1", door="message",
                          source_ts="1700000000.000100", thread_ts="1700000000.000100")


def remember(store: Store, url: str, age: timedelta) -> None:
    """A request, its cached article and summary, and its usage, all ``age`` old."""
    request = ask(url)
    store.claim(request)
    store.cache_put(f"cache-{url}", url, {"article": {"text": "the article"}, "paragraphs": ["the summary"]})
    store.record_usage(request, "openai", "gpt", Usage(100, 20), 0.01)
    moment = now() - age
    with store.engine.begin() as connection:
        connection.execute(update(RequestRow).where(RequestRow.url == url).values(created_at=moment, updated_at=moment))
        connection.execute(update(CacheRow).where(CacheRow.url == url).values(created_at=moment))
        connection.execute(update(UsageRow).where(UsageRow.created_at > moment).values(created_at=moment))


def urls_left(store: Store) -> dict[str, set[str]]:
    with store.engine.connect() as connection:
        return {
            "requests": set(connection.scalars(select(RequestRow.url))),
            "cache": set(connection.scalars(select(CacheRow.url))),
            "usage": {str(n) for n in connection.scalars(select(func.count()).select_from(UsageRow))},
        }


def test_a_purge_deletes_what_is_older_than_the_retention_and_keeps_the_rest(store: Store) -> None:
    remember(store, "https://example.com/old", timedelta(days=DAYS + 1))
    remember(store, "https://example.com/recent", timedelta(days=DAYS - 1))

    deleted = store.purge(timedelta(days=DAYS))

    assert deleted["summary_requests"] == 1 and deleted["summary_cache"] == 1 and deleted["usage"] == 1
    assert urls_left(store) == {
        "requests": {"https://example.com/recent"}, "cache": {"https://example.com/recent"}, "usage": {"1"},
    }


def test_every_table_the_retention_names_exists() -> None:
    for table, column in RETAINED.items():
        assert column in Base.metadata.tables[table].c, table


def test_python_m_bot_purge_prints_what_it_deleted(tmp_path: Path, capsys, monkeypatch) -> None:
    store = Store(f"sqlite:///{tmp_path / 'data' / 'summarizer.db'}")
    remember(store, "https://example.com/old", timedelta(days=8))
    remember(store, "https://example.com/recent", timedelta(days=6))
    monkeypatch.setenv("RETENTION_DAYS", "7")

    assert main(["purge"]) == 0

    out = capsys.readouterr().out
    assert "summary_requests: 1 deleted" in out and "summary_cache: 1 deleted" in out
    assert urls_left(store)["requests"] == {"https://example.com/recent"}
    store.close()


def test_queue_workers_purge_when_they_start(settings: Settings, store: Store, database_url: str) -> None:
    settings = settings.model_copy(update={"database_url": database_url, "retention_days": DAYS})
    remember(store, "https://example.com/old", timedelta(days=DAYS + 1))
    remember(store, "https://example.com/recent", timedelta(days=1))
    workers = Queue(settings, store).consumer(threads=1)

    workers.start()
    try:
        deadline = now() + timedelta(seconds=10)
        while "https://example.com/old" in urls_left(store)["requests"] and now() < deadline:
            workers._stop.wait(0.05)
    finally:
        workers.stop()

    assert urls_left(store)["requests"] == {"https://example.com/recent"}
