"""The store keeps its promises on SQLite and on PostgreSQL alike: every test here runs on both.

Claims drop duplicates, leases let one worker run a request, progress survives a crash, the
reaper finds what a dead worker left, settings merge, the cache expires, usage adds up, and the
schema migrates safely however many processes open the store at once.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from bot.cache import SummaryCache
from bot.extract import Article
from bot.request import SummaryRequest
from bot.spec import SummarySpec
from bot.store import SETTING_FIELDS, Status, Store, migration_config, now
from bot.summarizers import Summary, Usage

HOUR = timedelta(hours=1)
TABLES = {"summary_requests", "scope_settings", "summary_cache", "usage", "alembic_version"}


@pytest.fixture
def second_store(database_url: str, store: Store) -> Iterator[Store]:
    """Another process's view of the same database (its own engine and connections)."""
    other = Store(database_url)
    yield other
    other.close()


def ask(**fields: object) -> SummaryRequest:
    """A request from a message of its own (a fresh ts), unless fields say otherwise."""
    values = {
        "url": "https://example.com/story",
        "team_id": "T1",
        "channel": "C1",
        "user": "U1",
        "door": "message",
        "source_ts": f"{time.time():.6f}{uuid.uuid4().int % 1000}",
        "event_id": f"Ev{uuid.uuid4().hex[:10]}",
    } | fields
    values.setdefault("thread_ts", values["source_ts"])
    return SummaryRequest(**values)


# -- claims -------------------------------------------------------------------------------------------
def test_first_ask_is_new(store: Store) -> None:
    request = ask()
    claim = store.claim(request)
    assert claim.new and not claim.same_delivery
    assert claim.status == Status.QUEUED


def test_redelivery_of_the_same_event_is_the_same_delivery(store: Store) -> None:
    request = ask()
    store.claim(request)
    claim = store.claim(request)
    assert not claim.new and claim.same_delivery


def test_another_ask_for_the_same_message_learns_where_the_answer_is(store: Store) -> None:
    first = ask()
    store.claim(first)
    store.finish(first.key, Status.POSTED)
    claim = store.claim(ask(source_ts=first.source_ts, event_id="EvOTHER"))
    assert not claim.new and not claim.same_delivery
    assert (claim.status, claim.thread_ts) == (Status.POSTED, first.thread_ts)


def test_claims_racing_from_two_processes_let_exactly_one_in(store: Store, second_store: Store) -> None:
    request = ask()
    claims = race(lambda: store.claim(request), lambda: second_store.claim(request))
    assert sorted(claim.new for claim in claims) == [False, True]


# -- leases -------------------------------------------------------------------------------------------
def test_of_two_workers_one_gets_the_lease(store: Store, second_store: Store) -> None:
    request = ask()
    store.claim(request)
    leases = race(lambda: store.lease(request.key, 60), lambda: second_store.lease(request.key, 60))
    assert sorted(lease is not None for lease in leases) == [False, True]


def test_a_held_lease_is_refused(store: Store, second_store: Store) -> None:
    request = ask()
    store.claim(request)
    assert store.lease(request.key, 60)
    assert not second_store.lease(request.key, 60)


def test_an_expired_lease_can_be_taken_by_another_worker(store: Store, second_store: Store) -> None:
    request = ask()
    store.claim(request)
    assert store.lease(request.key, 0.05)
    time.sleep(0.1)
    assert second_store.lease(request.key, 60)


def test_a_renewed_lease_stays_held(store: Store, second_store: Store) -> None:
    request = ask()
    store.claim(request)
    lease = store.lease(request.key, 0.05)
    assert store.renew(lease, 60)
    time.sleep(0.1)
    assert not second_store.lease(request.key, 60)


def test_a_released_lease_can_be_taken_at_once(store: Store, second_store: Store) -> None:
    request = ask()
    store.claim(request)
    store.release(store.lease(request.key, 60))
    assert second_store.lease(request.key, 60)


def test_a_finished_request_is_never_leased_again(store: Store) -> None:
    request = ask()
    store.claim(request)
    store.finish(request.key, Status.POSTED)
    assert not store.lease(request.key, 60)


def test_an_unknown_request_cannot_be_leased(store: Store) -> None:
    assert not store.lease("no-such-key", 60)


# -- progress -----------------------------------------------------------------------------------------
def test_progress_records_the_thread_and_the_parts_posted(store: Store) -> None:
    request = ask(door="command", thread_ts=None, source_ts=None)
    store.claim(request)
    store.record_thread(request.key, "1700000000.000100")
    store.record_part_posted(request.key, 2)
    progress = store.progress(request.key)
    assert (progress.status, progress.thread_ts, progress.parts_posted) == (Status.QUEUED, "1700000000.000100", 2)


def test_progress_is_seen_by_another_process(store: Store, second_store: Store) -> None:
    request = ask()
    store.claim(request)
    store.record_part_posted(request.key, 1)
    store.finish(request.key, Status.FAILED)
    assert second_store.progress(request.key).parts_posted == 1
    assert second_store.progress(request.key).status == Status.FAILED


def test_a_message_marked_sending_is_in_doubt_until_recorded_posted(store: Store) -> None:
    request = ask()
    store.claim(request)
    store.record_sending(request.key, 1)
    assert (store.progress(request.key).parts_posted, store.progress(request.key).in_doubt) == (1, True)
    store.record_part_posted(request.key, 2)
    assert (store.progress(request.key).parts_posted, store.progress(request.key).in_doubt) == (2, False)


def test_progress_of_an_unknown_request_is_none(store: Store) -> None:
    assert store.progress("no-such-key") is None


# -- stranded requests --------------------------------------------------------------------------------
def test_a_queued_request_nobody_touched_is_stranded(store: Store) -> None:
    request = ask()
    store.claim(request)
    time.sleep(0.01)
    assert [r.key for r in store.stranded(idle_seconds=0)] == [request.key]
    assert store.stranded(idle_seconds=0)[0] == request


def test_a_recent_request_is_not_stranded(store: Store) -> None:
    store.claim(ask())
    assert store.stranded(idle_seconds=60) == []


def test_a_leased_request_is_not_stranded(store: Store) -> None:
    request = ask()
    store.claim(request)
    store.lease(request.key, 60)
    time.sleep(0.01)
    assert store.stranded(idle_seconds=0) == []


def test_a_request_whose_lease_ran_out_is_stranded(store: Store) -> None:
    request = ask()
    store.claim(request)
    store.lease(request.key, 0.05)
    time.sleep(0.1)
    assert [r.key for r in store.stranded(idle_seconds=0.05)] == [request.key]


def test_finished_requests_are_not_stranded(store: Store) -> None:
    for status in (Status.POSTED, Status.FAILED):
        request = ask()
        store.claim(request)
        store.finish(request.key, status)
    time.sleep(0.01)
    assert store.stranded(idle_seconds=0) == []


def test_touch_restarts_the_idle_clock(store: Store) -> None:
    request = ask()
    store.claim(request)
    time.sleep(0.6)
    assert store.stranded(idle_seconds=0.5) != []
    store.touch(request.key)
    assert store.stranded(idle_seconds=0.5) == []


# -- settings -----------------------------------------------------------------------------------------
def test_unset_settings_are_none(store: Store) -> None:
    assert store.scope_settings("T1", "C1") == dict.fromkeys(SETTING_FIELDS)


def test_saving_a_setting_keeps_the_others(store: Store) -> None:
    store.save_settings("T1", "C1", max_words=300)
    store.save_settings("T1", "C1", language="fr", auto_mode=False)
    assert store.scope_settings("T1", "C1") == {
        "auto_mode": False,
        "reaction": None,
        "max_words": 300,
        "paragraphs": None,
        "language": "fr",
        "shape": None,
    }


def test_workspace_and_channel_settings_are_separate(store: Store) -> None:
    store.save_settings("T1", reaction="books")
    store.save_settings("T1", "C1", reaction="memo")
    assert store.scope_settings("T1")["reaction"] == "books"
    assert store.scope_settings("T1", "C1")["reaction"] == "memo"
    assert store.scope_settings("T2")["reaction"] is None


def test_a_setting_can_be_cleared_back_to_inherit(store: Store) -> None:
    store.save_settings("T1", "C1", max_words=300)
    store.save_settings("T1", "C1", max_words=None)
    assert store.scope_settings("T1", "C1")["max_words"] is None


def test_an_unknown_setting_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="colour"):
        store.save_settings("T1", colour="red")


# -- the summary cache --------------------------------------------------------------------------------
def test_a_cached_payload_comes_back(store: Store) -> None:
    store.cache_put("k1", "https://example.com/a", {"paragraphs": ["One."]})
    assert store.cache_get("k1", HOUR) == {"paragraphs": ["One."]}


def test_a_cache_entry_older_than_the_ttl_is_ignored(store: Store) -> None:
    store.cache_put("k1", "https://example.com/a", {"paragraphs": ["One."]})
    time.sleep(0.05)
    assert store.cache_get("k1", timedelta(milliseconds=10)) is None


def test_a_cache_entry_is_replaced_and_its_age_restarts(store: Store) -> None:
    store.cache_put("k1", "https://example.com/a", {"v": 1})
    time.sleep(0.6)
    store.cache_put("k1", "https://example.com/a", {"v": 2})
    assert store.cache_get("k1", timedelta(seconds=0.5)) == {"v": 2}


def test_an_unknown_cache_key_misses(store: Store) -> None:
    assert store.cache_get("nothing", HOUR) is None


def test_a_summary_survives_the_cache_and_costs_nothing_the_second_time(store: Store) -> None:
    cache = SummaryCache(store, HOUR)
    article = Article(
        title="T",
        paragraphs=("One. Two.", "Three."),
        url="https://example.com/a?utm_source=x",
        language="en",
        warnings=("thin",),
    )
    summary = Summary(
        article=article,
        paragraphs=("One.",),
        spec=SummarySpec(max_words=50, paragraphs=1),
        backend="openai",
        model="m",
        warnings=("w",),
        usage=Usage(10, 5, 1),
    )
    key = cache.key(article, summary.spec, "openai", "m")
    cache.put(key, summary)
    assert cache.get(key) == Summary(**{**summary.__dict__, "usage": Usage()})


# -- usage --------------------------------------------------------------------------------------------
def test_usage_totals_by_workspace_channel_and_user(store: Store) -> None:
    since = now() - timedelta(seconds=5)
    record(store, ask(team_id="T1", channel="C1", user="U1"), 100, 20, 0.5)
    record(store, ask(team_id="T1", channel="C1", user="U2"), 10, 2, 0.25)
    record(store, ask(team_id="T1", channel="C2", user="U1"), 1, 1, 0.0)
    record(store, ask(team_id="T2", channel="C1", user="U1"), 1000, 1000, 9.0)
    workspace = store.usage_totals("T1", since)
    assert (workspace.summaries, workspace.prompt_tokens, workspace.completion_tokens) == (3, 111, 23)
    assert workspace.cost_usd == pytest.approx(0.75)
    assert workspace.tokens == 134
    assert store.usage_totals("T1", since, channel="C1").tokens == 132
    assert store.usage_totals("T1", since, user_id="U1").tokens == 122
    assert store.usage_totals("T1", since, channel="C2", user_id="U1").summaries == 1


def test_usage_before_the_period_is_not_counted(store: Store) -> None:
    record(store, ask(), 100, 20, 0.5)
    assert store.usage_totals("T1", now() + timedelta(seconds=1)).summaries == 0


def test_a_workspace_without_usage_totals_zero(store: Store) -> None:
    totals = store.usage_totals("T-nobody", now() - HOUR)
    assert (totals.summaries, totals.tokens, totals.cost_usd) == (0, 0, 0.0)


# -- migrations ---------------------------------------------------------------------------------------
def test_opening_the_store_again_migrates_nothing(database_url: str, store: Store) -> None:
    request = ask()
    store.claim(request)
    again = Store(database_url)
    assert again.progress(request.key).status == Status.QUEUED
    assert versions(again) == versions(store)
    again.close()


def test_a_sending_mark_written_before_its_own_column_is_kept(database_url: str) -> None:
    """Before 0006 a message of unknown fate was kept as a negative parts_posted, -(n + 1)."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    config = migration_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.execute(text(
            "INSERT INTO summary_requests (key, team_id, channel, url, door, status, parts_posted, payload,"
            " created_at, updated_at) VALUES ('k', 'T1', 'C1', 'u', 'message', 'queued', -2, '{}',"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ))
    engine.dispose()
    store = Store(database_url)
    assert (store.progress("k").parts_posted, store.progress("k").in_doubt) == (1, True)
    store.close()


def test_processes_opening_a_new_store_at_once_migrate_it_once(database_url: str) -> None:
    opener = "import sys; from bot.store import Store; Store(sys.argv[1]).close()"
    processes = [
        subprocess.Popen([sys.executable, "-c", opener, database_url], stderr=subprocess.PIPE) for _ in range(4)
    ]
    errors = [(process.wait(timeout=60), process.stderr.read().decode()) for process in processes]
    assert errors == [(0, "")] * 4
    store = Store(database_url)
    assert TABLES.issubset(inspect(store.engine).get_table_names())
    assert len(versions(store)) == 1
    store.close()


# -- helpers ------------------------------------------------------------------------------------------
def race(*calls):
    """Run the calls in threads released at the same moment; their results in call order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def record(store: Store, request: SummaryRequest, prompt: int, completion: int, cost: float) -> None:
    store.record_usage(request, "openai", "m", Usage(prompt, completion, 1), cost)


def versions(store: Store) -> list[str]:
    with store.engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))]
