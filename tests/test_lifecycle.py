"""Never twice, never stuck: a request whose worker died is taken over when its lease runs out; a page
that kills every worker that tries it is given up on after JOB_MAX_ATTEMPTS with one clear reply;
`serve` starts a new queue worker when its worker dies and /healthz says when none is alive; a slow
site holds at most FETCH_PER_HOST worker threads, and timeouts have a retry budget of their own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.config import Settings
from bot.jobs import Queue
from bot.request import SummaryRequest
from bot.store import Status, Store
from tests.fixtures.app import (
    DONE,
    FAILED,
    RunningApp,
    failures,
    post_link,
    posted,
    running_app,
    summaries,
    wait_until_finished,
)
from tests.fixtures.services import BotLauncher, BotProcess, process_env
from tests.fixtures.slack import FakeSlack
from tests.fixtures.slack_payloads import SlackSender, event_payload
from tests.fixtures.web import WebSite, gated_site
from tests.test_queue import Runs

CHANNEL = "C043YJGBY49"  # where post_link and the bare-link payload post
GAVE_UP = "it stopped my worker 3 times, so I gave up on it"


def link_request(url: str, ts: str | None = None) -> SummaryRequest:
    ts = ts or f"1700000000.{uuid.uuid4().int % 1_000_000:06d}"
    return SummaryRequest(
        url=url, team_id="T043DB835ML", channel=CHANNEL, user="U1", door="message", thread_ts=ts, source_ts=ts
    )


@pytest.fixture
def second_store(shared_settings: Settings) -> Iterator[Store]:
    """Another process's view of the same database (another worker)."""
    store = Store(shared_settings.effective_database_url)
    yield store
    store.close()


# -- leases and attempts ------------------------------------------------------------------------------
def test_a_run_that_lost_its_lease_cannot_renew_the_lease_of_the_run_that_took_over(
    shared_store: Store, second_store: Store
) -> None:
    request = link_request("https://example.com/stalled")
    shared_store.claim(request)
    stalled = shared_store.lease(request.key, 0.05)
    time.sleep(0.1)
    taken_over = second_store.lease(request.key, 60)
    assert not shared_store.renew(stalled, 0.05)
    shared_store.release(stalled)
    assert second_store.renew(taken_over, 60)
    assert shared_store.lease(request.key, 60) is None


def test_a_lease_taken_again_without_being_released_counts_an_abandoned_run(
    shared_store: Store, second_store: Store
) -> None:
    request = link_request("https://example.com/dies")
    shared_store.claim(request)
    first = shared_store.lease(request.key, 0.05)
    time.sleep(0.1)  # its worker died: nobody released it
    second = second_store.lease(request.key, 60)
    assert (first.attempts, first.abandoned) == (1, 0)
    assert (second.attempts, second.abandoned) == (2, 1)


def test_a_released_lease_is_not_an_abandoned_run(shared_store: Store) -> None:
    request = link_request("https://example.com/retried")
    shared_store.claim(request)
    shared_store.release(shared_store.lease(request.key, 60))  # a try that failed and was given back
    assert shared_store.lease(request.key, 60).abandoned == 0


def test_of_two_reapers_one_takes_back_a_request_whose_lease_ran_out(shared_store: Store, second_store: Store) -> None:
    request = link_request("https://example.com/left-behind")
    shared_store.claim(request)
    shared_store.lease(request.key, 0.05)
    time.sleep(0.1)
    assert [r.key for r in second_store.stranded(idle_seconds=300)] == [request.key]
    assert [shared_store.reclaim(request.key, 300), second_store.reclaim(request.key, 300)] == [True, False]
    assert second_store.stranded(idle_seconds=300) == []


def test_a_request_whose_worker_died_is_run_again_once_its_lease_runs_out(
    shared_settings: Settings, shared_store: Store
) -> None:
    """Not after JOB_STRANDED_AFTER: the lease it held is what says its worker is gone."""
    request = link_request("https://example.com/orphan")
    shared_store.claim(request)
    assert shared_store.lease(request.key, 0.5)  # the dead worker's run: never renewed, never released
    runs = Runs()
    settings = shared_settings.model_copy(update={"job_lease": 1.0, "job_stranded_after": 300.0})
    workers = Queue(settings, shared_store, runs).consumer(threads=1)
    workers.start()
    try:
        assert runs.wait(1, timeout=10) == [(request.key, False)]
    finally:
        workers.stop()


def test_a_worker_that_stalled_past_its_lease_leaves_the_answer_to_the_worker_that_took_over(
    settings: Settings, bot: BotLauncher, slack_api: FakeSlack
) -> None:
    store = Store(settings.effective_database_url)
    with gated_site() as site:
        ts = slack_api.add_message(CHANNEL, text="a link")
        Queue(settings, store).submit(link_request(f"{site.url}/stalls", ts))
        env = process_env(settings) | {"job_lease": "2"}
        stalled = bot.worker(**env)
        bot.wait_for(slack_api, lambda: site.waiting == 1, timeout=30)
        stalled.process.send_signal(signal.SIGSTOP)  # a stall longer than its lease, mid-fetch
        try:
            bot.worker(**env)
            bot.wait_for(slack_api, lambda: site.waiting == 2, timeout=30)  # taken over: fetched again
            site.open()
            bot.wait_for(slack_api, lambda: DONE in slack_api.reactions[(CHANNEL, ts)], timeout=30)
        finally:
            stalled.process.send_signal(signal.SIGCONT)
        bot.wait_for(slack_api, lambda: "taken over while this run stalled" in stalled.output(), timeout=30)
    store.close()
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == ts


# -- poison pills -------------------------------------------------------------------------------------
def test_a_request_whose_runs_killed_their_workers_three_times_is_answered_with_one_failure(
    app_settings: Settings, slack_api: FakeSlack, web_site: WebSite
) -> None:
    ts = slack_api.add_message(CHANNEL, text="a link")
    request = link_request(web_site.url("/news/plain-article?poison=1"), ts)
    with running_app(app_settings) as app:
        app.ctx.store.claim(request)
        for _ in range(3):  # three runs whose worker died holding the lease
            app.ctx.store.lease(request.key, 0.01)
            time.sleep(0.02)
        app.ctx.queue.requeue(request)
        wait_until_finished(slack_api, CHANNEL, ts, reaction=FAILED)
        assert app.ctx.store.progress(request.key).status == Status.FAILED
    (reply,) = posted(slack_api)
    assert GAVE_UP in reply["text"] and reply["thread_ts"] == ts


@pytest.fixture
def serve_with_worker(bot: BotLauncher) -> BotProcess:
    """`serve` with its own queue worker child, on short leases and heartbeats so that tests stay short."""
    return bot.serve(queue_workers=True, job_lease="2", worker_heartbeat="0.5", fetch_timeout="60")


def queue_worker_pids(serve: BotProcess) -> list[int]:
    """The live `python -m bot worker` children of a `serve` process (any of its threads may have started them)."""
    pids = []
    for children in Path(f"/proc/{serve.process.pid}/task").glob("*/children"):
        for pid in map(int, children.read_text().split()):
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if cmdline[1:4] == [b"-m", b"bot", b"worker"] and state != "Z":
                    pids.append(pid)
    return pids


def send_link(serve: BotProcess, slack_api: FakeSlack, url: str) -> str:
    payload = event_payload("event_callback.message.bare_link.json", link=url, ts=slack_api.next_ts(), channel=CHANNEL)
    assert SlackSender(serve.url).event(payload).status_code == 200
    return payload["event"]["ts"]


def test_a_page_that_kills_its_worker_every_time_gets_one_failure_after_the_attempt_cap_while_other_links_are_answered(
    serve_with_worker: BotProcess, bot: BotLauncher, slack_api: FakeSlack, web_site: WebSite
) -> None:
    """The page's worker is killed (as the kernel's OOM killer would) each time it fetches the page;
    `serve` starts a new worker each time, which answers the other links."""
    fetched = web_site.hits("/slow/wait")
    poison = send_link(serve_with_worker, slack_api, web_site.url("/slow/wait?seconds=60&poison=1"))
    ordinary: list[str] = []
    for kill in range(3):
        bot.wait_for(slack_api, lambda n=kill: web_site.hits("/slow/wait") > fetched + n, timeout=60)
        if ordinary:  # the new worker answers the other link while the page holds one of its threads
            bot.wait_for(slack_api, lambda: DONE in slack_api.reactions[(CHANNEL, ordinary[-1])], timeout=30)
        (worker,) = bot.wait_for(slack_api, lambda: queue_worker_pids(serve_with_worker), timeout=10)
        os.kill(worker, signal.SIGKILL)
        ordinary.append(send_link(serve_with_worker, slack_api, web_site.url(f"/news/short-article?other={kill}")))

    bot.wait_for(slack_api, lambda: failures(slack_api), timeout=90)
    bot.wait_for(slack_api, lambda: all(DONE in slack_api.reactions[(CHANNEL, ts)] for ts in ordinary), timeout=60)
    (failure,) = failures(slack_api)
    assert failure["thread_ts"] == poison and GAVE_UP in failure["text"]
    assert sorted(post["thread_ts"] for post in summaries(slack_api)) == sorted(ordinary)
    assert web_site.hits("/slow/wait") == fetched + 3  # given up on: never fetched a fourth time


# -- liveness -----------------------------------------------------------------------------------------
def healthz(serve: BotProcess) -> tuple[int, str]:
    response = requests.get(f"{serve.url}/healthz", timeout=5)
    return response.status_code, response.text.strip()


def worker_check(bot: BotLauncher) -> int:
    """`python -m bot worker --check`, run as an orchestrator's probe would, on this host."""
    env = bot.env | {"WORKER_HEARTBEAT": "0.5"}
    return subprocess.run([sys.executable, "-m", "bot", "worker", "--check"], env=env, cwd=bot.workdir).returncode


def test_healthz_and_the_worker_probe_fail_while_the_queue_worker_is_hung_and_recover_with_it(
    serve_with_worker: BotProcess, bot: BotLauncher, slack_api: FakeSlack
) -> None:
    bot.wait_for(slack_api, lambda: healthz(serve_with_worker) == (200, "ok"), timeout=30)
    assert worker_check(bot) == 0
    (worker,) = queue_worker_pids(serve_with_worker)
    os.kill(worker, signal.SIGSTOP)  # alive, but no longer working the queue
    try:
        bot.wait_for(slack_api, lambda: healthz(serve_with_worker) == (503, "no queue worker is alive"), timeout=10)
        assert worker_check(bot) == 1
    finally:
        os.kill(worker, signal.SIGCONT)
    bot.wait_for(slack_api, lambda: healthz(serve_with_worker) == (200, "ok"), timeout=10)


def test_serve_starts_a_new_queue_worker_when_its_worker_dies(
    serve_with_worker: BotProcess, bot: BotLauncher, slack_api: FakeSlack, web_site: WebSite
) -> None:
    (first,) = bot.wait_for(slack_api, lambda: queue_worker_pids(serve_with_worker), timeout=10)
    os.kill(first, signal.SIGKILL)
    bot.wait_for(slack_api, lambda: [pid for pid in queue_worker_pids(serve_with_worker) if pid != first], timeout=30)
    ts = send_link(serve_with_worker, slack_api, web_site.url("/news/short-article?after=restart"))
    bot.wait_for(slack_api, lambda: DONE in slack_api.reactions[(CHANNEL, ts)], timeout=30)


# -- fair fetching ------------------------------------------------------------------------------------
@pytest.fixture
def fair_app(app_settings: Settings) -> Iterator[RunningApp]:
    """The production thread count, and fetch limits far above how long the slow pages are held."""
    update = {"worker_threads": 8, "fetch_per_host": 2, "fetch_timeout": 60, "fetch_deadline": 90}
    with running_app(app_settings.model_copy(update=update)) as app:
        yield app


@pytest.mark.parametrize("slow_hosts", [1, 3, 9])
def test_ordinary_links_are_answered_while_nine_slow_links_wait_for_their_sites(
    fair_app: RunningApp, slack_api: FakeSlack, web_site: WebSite, slow_hosts: int
) -> None:
    with contextlib.ExitStack() as stack:
        sites = [stack.enter_context(gated_site()) for _ in range(slow_hosts)]
        slow = [post_link(fair_app, slack_api, f"{sites[n % slow_hosts].url}/slow/{n}")["ts"] for n in range(9)]
        fast = [post_link(fair_app, slack_api, web_site.url(f"/news/short-article?fast={n}"))["ts"] for n in range(10)]

        slack_api.wait_for(lambda: all(DONE in slack_api.reactions[(CHANNEL, ts)] for ts in fast), 60)
        assert all(site.most_waiting <= 2 for site in sites)  # FETCH_PER_HOST: the rest waited in the queue
        assert {post["thread_ts"] for post in summaries(slack_api)} == set(fast)  # every slow page still held
        for site in sites:
            site.open()
        slack_api.wait_for(lambda: all(DONE in slack_api.reactions[(CHANNEL, ts)] for ts in slow), 60)
    threads = sorted(post["thread_ts"] for post in summaries(slack_api))
    assert threads == sorted(slow + fast)


def test_a_page_that_times_out_is_tried_once_more_then_answered_with_a_failure(
    app_settings: Settings, slack_api: FakeSlack, web_site: WebSite
) -> None:
    """JOB_TIMEOUT_RETRIES (1) rather than JOB_RETRIES (5): a slow site does not hold a thread five times."""
    update = {"fetch_timeout": 0.5, "fetch_deadline": 0.5, "job_retries": 5, "job_timeout_retries": 1}
    before = web_site.hits("/slow/drip")
    with running_app(app_settings.model_copy(update=update)) as app:
        ts = post_link(app, slack_api, web_site.url("/slow/drip?interval=0.1"))["ts"]
        slack_api.wait_for(lambda: failures(slack_api), timeout=30)
        wait_until_finished(slack_api, CHANNEL, ts, reaction=FAILED)
    assert web_site.hits("/slow/drip") == before + 2
    (failure,) = failures(slack_api)
    assert failure["thread_ts"] == ts
