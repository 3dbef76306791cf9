"""What an operator graphs: every metric the app exposes at /metrics, and the one-line calls that feed them.

Several processes serve one install (`serve` and its worker child, `python -m bot worker`), so the counters live in
prometheus-client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set: each process writes its own
files there and /metrics adds them up. `python -m bot serve` sets it (a fresh directory) before anything
imports prometheus_client, which picks its mode at import. The queue's depth and the age of its oldest
request are read from the store at scrape time, so they are right whichever process answers.

    with metrics.stage("fetch"):         # time per stage
        page = fetch(...)
    metrics.finished(request, "posted")  # requests by door and outcome
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.errors import SummarizeError

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.request import SummaryRequest
    from bot.store import Store
    from bot.summarizers import Summary

log = logging.getLogger(__name__)

STAGES = ("fetch", "extract", "summarize", "post")

RECEIVED = Counter(
    "summarizer_requests_received",
    "Requests the doors took in, by door and what became of them there "
    "(queued, duplicate, pointer, earlier, refused).",
    ["door", "outcome"],
)
FINISHED = Counter(
    "summarizer_requests_finished", "Queued requests that ended, by door and outcome (posted, failed).",
    ["door", "outcome"],
)
STAGE_SECONDS = Histogram(
    "summarizer_stage_seconds", "Time spent in each stage of a request (fetch, extract, summarize, post).",
    ["stage"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300),
)
MODEL_TOKENS = Counter("summarizer_model_tokens", "Model tokens used, by model and kind (prompt, completion).",
                       ["model", "kind"])
MODEL_COST = Counter("summarizer_model_cost_usd", "Estimated model cost in USD (OPENAI_PRICE_*), by model.",
                     ["model"])
MODEL_ERRORS = Counter("summarizer_model_errors", "Summarizer failures, by kind (the client's exception).",
                       ["kind"])
SLACK_ERRORS = Counter("summarizer_slack_errors", "Web API calls Slack refused or failed, by error code.",
                       ["error"])
RETRIES = Counter("summarizer_retries", "Requests put back on the queue to try again, by reason.", ["reason"])
TAKEOVERS = Counter("summarizer_lease_takeovers",
                    "Requests left behind (a dead worker's lease ran out, or the queue lost them), queued again.")


def received(request: SummaryRequest, outcome: str) -> None:
    RECEIVED.labels(request.door, outcome).inc()


def finished(request: SummaryRequest, outcome: str) -> None:
    FINISHED.labels(request.door, outcome).inc()


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Time a stage, failed or not; a summarizer failure is also counted by kind."""
    started = time.perf_counter()
    try:
        yield
    except SummarizeError as exc:
        if name == "summarize":
            MODEL_ERRORS.labels(type(exc.__cause__ or exc).__name__).inc()
        raise
    finally:
        STAGE_SECONDS.labels(name).observe(time.perf_counter() - started)


def model_usage(summary: Summary, cost_usd: float) -> None:
    if summary.backend != "openai":
        return
    model = summary.model or ""
    MODEL_TOKENS.labels(model, "prompt").inc(summary.usage.prompt_tokens)
    MODEL_TOKENS.labels(model, "completion").inc(summary.usage.completion_tokens)
    MODEL_COST.labels(model).inc(cost_usd)


def slack_error(error: str) -> None:
    SLACK_ERRORS.labels(error).inc()


def retry(reason: BaseException | str) -> None:
    RETRIES.labels(reason if isinstance(reason, str) else type(reason).__name__).inc()


def takeover() -> None:
    TAKEOVERS.inc()


# -- the scrape -------------------------------------------------------------------------------------


class QueueCollector:
    """Queue depth and the age of the oldest queued request, read from the store when scraped."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self):
        try:
            stats = self.store.queue_stats()
        except Exception:  # a scrape must not fail because the database hiccups
            log.warning("metrics: could not read the queue from the store", exc_info=True)
            return
        yield GaugeMetricFamily("summarizer_queue_depth", "Requests queued or running, not yet answered.", stats.depth)
        yield GaugeMetricFamily(
            "summarizer_queue_oldest_age_seconds", "Age of the oldest request not yet answered (0 when none).",
            stats.oldest_age,
        )


def exposition(store: Store | None) -> tuple[bytes, str]:
    """The /metrics body and its content type: this process's (or every process's) metrics, then the queue's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    if store is not None:
        queue = CollectorRegistry()
        queue.register(QueueCollector(store))
        body += generate_latest(queue)
    return body, CONTENT_TYPE_LATEST


def serve_port(settings: Settings, store: Store) -> None:
    """`run` and `worker` have no HTTP server: METRICS_PORT gives them one, for /metrics alone.

    Not where PROMETHEUS_MULTIPROC_DIR is set: a `serve` on this machine adds these metrics up already.
    """
    if not settings.metrics_port or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    def application(environ, start_response):
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"only /metrics here\n"]
        body, content_type = exposition(store)
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    server = make_server("0.0.0.0", settings.metrics_port, application, server_class=Server, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
