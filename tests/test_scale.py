"""Scale-out holds its promise: two `serve --no-queue-workers` processes and two `worker` processes on
Redis and PostgreSQL take 200 link events, a quarter of them delivered twice, and answer each link
exactly once; with one worker SIGKILLed mid-run, its links are taken over when their leases run out.
Slow (about a minute or two each on two cores), so it runs only under CI=true.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.fixtures.app import DONE, failures, summaries
from tests.fixtures.openai_server import FakeOpenAIServer
from tests.fixtures.services import BotLauncher, needs_ci
from tests.fixtures.slack import FakeSlack
from tests.fixtures.slack_payloads import SlackSender, event_payload
from tests.fixtures.web import WebSite

EVENTS = 200
KILLED_RUN = 40
CHANNEL = "C043YJGBY49"

pytestmark = needs_ci("2 serve and 2 worker processes answering 200 events")


def scaled_out(redis_url: str, postgres_url: str, model: FakeOpenAIServer) -> dict[str, str]:
    """The settings every `serve` and `worker` process of a scaled-out install shares."""
    return {
        "redis_url": redis_url,
        "database_url": postgres_url,
        "worker_threads": "8",
        "summarizer_backend": "openai",
        "openai_api_key": "sk-test-not-a-real-key",
        "openai_base_url": model.base_url,
        "openai_model": model.model,
    }


def test_two_servers_and_two_workers_answer_200_links_once_each(
    bot: BotLauncher, slack_api: FakeSlack, web_site: WebSite, redis_url: str, postgres_url: str
) -> None:
    with FakeOpenAIServer(latency=0.5) as model:
        shared = scaled_out(redis_url, postgres_url, model)
        servers = [bot.serve(**shared).url for _ in range(2)]
        for _ in range(2):
            bot.worker(**shared)

        events = [
            link_event(slack_api, web_site.url(f"/news/short-article?n={n}&utm_source=scale")) for n in range(EVENTS)
        ]
        statuses = deliver(servers, with_duplicates(events))
        assert set(statuses) == {200}

        bot.wait_for(slack_api, lambda: all_finished(slack_api, events), timeout=120)
        model_calls = len(model.requests)

    threads = Counter(post["thread_ts"] for post in summaries(slack_api))
    assert threads == Counter({event["event"]["ts"]: 1 for event in events})
    assert failures(slack_api) == []
    assert slack_api.calls("chat.postEphemeral") == []  # duplicates are dropped quietly, not pointed at
    assert model_calls == EVENTS  # no link was summarized twice


def test_a_worker_killed_mid_run_leaves_no_link_unanswered_past_its_lease_and_none_answered_twice(
    bot: BotLauncher, slack_api: FakeSlack, web_site: WebSite, redis_url: str, postgres_url: str
) -> None:
    """JOB_LEASE is 60 s: its links come back within a lease and a reaper pass, not JOB_STRANDED_AFTER (300 s)."""
    with FakeOpenAIServer(latency=2.0) as model:
        shared = scaled_out(redis_url, postgres_url, model)
        servers = [bot.serve(**shared).url for _ in range(2)]
        doomed, _survivor = (bot.worker(**shared) for _ in range(2))

        events = [link_event(slack_api, web_site.url(f"/news/short-article?kill={n}")) for n in range(KILLED_RUN)]
        assert set(deliver(servers, [(event, None) for event in events])) == {200}
        bot.wait_for(slack_api, lambda: len(summaries(slack_api)) >= 4, timeout=60)
        # Every thread of both workers waits for the model: the kill lands mid-job, never mid-post (a post
        # whose answer the worker never read is the other fault of issue 8, dealt with in delivery).
        bot.wait_for(slack_api, lambda: model.in_flight == 16, timeout=30)
        answered_before = len(summaries(slack_api))
        doomed.kill()
        killed_at = time.monotonic()
        bot.wait_for(slack_api, lambda: all_finished(slack_api, events), timeout=150)
        took = time.monotonic() - killed_at

    print(f"\nkill to last answer: {took:.1f} s; {KILLED_RUN - answered_before} links answered after the kill")
    threads = Counter(post["thread_ts"] for post in summaries(slack_api))
    assert threads == Counter({event["event"]["ts"]: 1 for event in events})
    assert failures(slack_api) == []


def all_finished(slack_api: FakeSlack, events: list[dict[str, Any]]) -> bool:
    return all(DONE in slack_api.reactions[(CHANNEL, event["event"]["ts"])] for event in events)


def link_event(slack_api: FakeSlack, url: str) -> dict[str, Any]:
    return event_payload("event_callback.message.bare_link.json", link=url, ts=slack_api.next_ts(), channel=CHANNEL)


def with_duplicates(events: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int | None]]:
    """Every event once, and every fourth again (half of those marked as Slack's retry), shuffled."""
    deliveries = [(event, None) for event in events]
    deliveries += [(event, 1 if n % 8 == 0 else None) for n, event in enumerate(events) if n % 4 == 0]
    random.Random(7).shuffle(deliveries)
    return deliveries


def deliver(servers: list[str], deliveries: list[tuple[dict[str, Any], int | None]]) -> list[int]:
    """POST every delivery, eight at a time, spread over the servers; returns the HTTP statuses."""
    local = threading.local()

    def send(indexed: tuple[int, tuple[dict[str, Any], int | None]]) -> int:
        index, (payload, retry_num) = indexed
        if not hasattr(local, "senders"):
            local.senders = [SlackSender(url) for url in servers]
        return local.senders[index % len(servers)].event(payload, retry_num=retry_num).status_code

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(send, enumerate(deliveries)))
