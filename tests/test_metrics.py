"""/metrics tells an operator what the app did, in Prometheus' text format, added up over every process
that did it (`serve`'s waitress threads take the request, its queue worker process runs it)."""

from __future__ import annotations

import json
import logging
import time

import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.logs import JSONFormatter, RequestKeyFilter, with_request_key
from bot.request import SummaryRequest
from tests.fixtures.app import FAILED, RunningApp, post_link, wait_until_finished
from tests.fixtures.services import BotLauncher, free_port
from tests.fixtures.slack import FakeSlack
from tests.fixtures.slack_payloads import SlackSender, event_payload
from tests.fixtures.web import WebSite

CHANNEL = "C043YJGBY49"


def samples(url: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics, by name and labels, as prometheus-client's own parser reads it."""
    response = requests.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def test_a_link_summarized_through_serve_shows_in_metrics(bot: BotLauncher, slack_api: FakeSlack,
                                                          web_site: WebSite) -> None:
    served = bot.serve(queue_workers=True)
    payload = event_payload("event_callback.message.bare_link.json", link=web_site.url("/news/plain-article"),
                            ts=slack_api.next_ts())
    sender = SlackSender(served.url)
    assert sender.event(payload).status_code == 200
    sender.close()
    wait_until_finished(slack_api, CHANNEL, payload["event"]["ts"])

    found = samples(served.url)

    assert value(found, "summarizer_requests_received_total", door="message", outcome="queued") == 1
    assert value(found, "summarizer_requests_finished_total", door="message", outcome="posted") == 1
    for stage in ("fetch", "extract", "summarize", "post"):
        assert value(found, "summarizer_stage_seconds_count", stage=stage) == 1, stage
        assert value(found, "summarizer_stage_seconds_sum", stage=stage) > 0, stage
    assert value(found, "summarizer_queue_depth") == 0
    assert value(found, "summarizer_queue_oldest_age_seconds") == 0


def test_a_dead_link_counts_as_failed_and_slack_refusals_count_by_code(slack_app: RunningApp, slack_api: FakeSlack,
                                                                       web_site: WebSite) -> None:
    before = samples(slack_app.url)
    slack_api.fail("reactions.add", "already_reacted")

    event = post_link(slack_app, slack_api, web_site.url("/status/404"))
    wait_until_finished(slack_api, event["channel"], event["ts"], FAILED)
    after = samples(slack_app.url)

    def grew(name: str, **labels: str) -> float:
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert grew("summarizer_requests_finished_total", door="message", outcome="failed") == 1
    assert grew("summarizer_requests_finished_total", door="message", outcome="posted") == 0
    assert grew("summarizer_slack_errors_total", error="already_reacted") == 1
    assert grew("summarizer_stage_seconds_count", stage="fetch") == 1
    assert grew("summarizer_stage_seconds_count", stage="summarize") == 0


def test_a_worker_serves_metrics_on_METRICS_PORT(bot: BotLauncher) -> None:
    port = free_port()
    worker = bot.worker(metrics_port=str(port))
    deadline = time.monotonic() + 30
    while True:
        try:
            found = samples(f"http://127.0.0.1:{port}")
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline and worker.process.poll() is None, worker.output()
            time.sleep(0.1)

    assert value(found, "summarizer_queue_depth") == 0


def test_every_log_line_written_for_a_request_carries_its_key_in_json() -> None:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.addFilter(RequestKeyFilter())
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("bot.test_metrics")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    request = SummaryRequest(url="https://example.com/a", team_id="T1", channel="C1", door="message",
                             source_ts="1700000000.000100", thread_ts="1700000000.000100", user="U1")

    @with_request_key
    def handle(request: SummaryRequest) -> None:
        logger.info("working on it")

    try:
        handle(request)
        logger.info("between requests")
    finally:
        logger.removeHandler(handler)

    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "working on it" and first["request_key"] == request.key
    assert second["request_key"] is None
