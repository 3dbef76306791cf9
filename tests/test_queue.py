"""The queue carries a request from the door that accepted it to a worker, on the embedded SQLite
queue and on Redis (with PostgreSQL as the store) alike: every test here runs on both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.jobs import Queue
from bot.request import SummaryRequest
from bot.store import Store
from tests.fixtures.app import summaries
from tests.fixtures.services import BotLauncher, process_env
from tests.fixtures.slack import FakeSlack
from tests.fixtures.web import WebSite


class Runs:
    """A stand-in for the Worker that writes down what the queue hands it (and can fail on cue)."""

    def __init__(self, failures: int = 0) -> None:
        self.calls: list[tuple[str, bool]] = []
        self.failures = failures
        self._cond = threading.Condition()

    def __call__(self, request: SummaryRequest, last_try: bool) -> None:
        with self._cond:
            self.calls.append((request.key, last_try))
            self._cond.notify_all()
            if len(self.calls) <= self.failures:
                raise RuntimeError("this try fails on purpose")

    def wait(self, count: int, timeout: float = 15) -> list[tuple[str, bool]]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.calls) >= count, timeout), f"ran only {self.calls}"
            return list(self.calls)


@pytest.fixture
def start_workers(shared_settings: Settings, shared_store: Store) -> Iterator:
    """``start_workers(runs, **settings)``: consumer threads and the reaper over ``runs``, stopped at the end."""
    started = []

    def start(runs: Runs, **overrides: object) -> Queue:
        queue = Queue(shared_settings.model_copy(update=overrides), shared_store, runs)
        workers = queue.consumer(threads=2)
        workers.start()
        started.append(workers)
        return queue

    yield start
    for workers in started:
        workers.stop()


def link_request(url: str, ts: str = "1700000000.000100") -> SummaryRequest:
    return SummaryRequest(
        url=url,
        team_id="T043DB835ML",
        channel="C1",
        user="U1",
        door="message",
        thread_ts=ts,
        source_ts=ts,
        event_id=f"Ev{ts.replace('.', '')}",
    )


def test_a_submitted_request_is_run_by_a_consumer_thread(start_workers) -> None:
    runs = Runs()
    queue = start_workers(runs)
    request = link_request("https://example.com/a")
    assert queue.submit(request).new
    assert runs.wait(1) == [(request.key, False)]


def test_a_request_submitted_twice_is_queued_once(shared_settings: Settings, shared_store: Store) -> None:
    queue = Queue(shared_settings, shared_store)
    request = link_request("https://example.com/a")
    first, again = queue.submit(request), queue.submit(request)
    assert (first.new, again.new, again.same_delivery) == (True, False, True)
    assert queue.huey.pending_count() == 1


def test_a_failing_request_is_tried_again_and_the_last_try_knows_it(start_workers) -> None:
    runs = Runs(failures=1)
    queue = start_workers(runs, job_retries=1, job_retry_delay=0)
    request = link_request("https://example.com/a")
    queue.submit(request)
    assert runs.wait(2) == [(request.key, False), (request.key, True)]


def test_a_request_the_queue_lost_is_put_back_by_the_reaper(start_workers, shared_store: Store) -> None:
    request = link_request("https://example.com/lost")
    shared_store.claim(request)  # accepted, but its queue entry died with the worker that held it
    runs = Runs()
    start_workers(runs, job_stranded_after=0.2)
    assert runs.wait(1) == [(request.key, False)]


def test_a_request_submitted_by_one_process_is_summarized_by_a_worker_process(
    shared_settings: Settings, shared_store: Store, bot: BotLauncher, slack_api: FakeSlack, web_site: WebSite
) -> None:
    """The scale-out split: a door process only enqueues; `python -m bot worker` does the work."""
    ts = slack_api.add_message("C1", text="a link")
    request = link_request(web_site.url("/news/plain-article?from=queue"), ts)
    Queue(shared_settings, shared_store).submit(request)
    bot.worker(**process_env(shared_settings))
    (summary,) = bot.wait_for(slack_api, lambda: summaries(slack_api), timeout=30)
    assert summary["thread_ts"] == ts
