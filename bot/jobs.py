"""The durable queue between the doors and the work.

Every door calls :meth:`Queue.submit`: the store claims the request (so retries and duplicate
deliveries are dropped), then huey keeps it until a worker runs it. Embedded, huey lives in a SQLite
file in the data directory and the consumer runs as threads of `python -m bot run`; with REDIS_URL
the queue is Redis and `python -m bot worker` runs consumers on any number of machines.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from bot import logs, metrics, retention, streaming
from bot.config import Settings
from bot.deliver import Delivery, DraftStream, streamed_summary, withdraw
from bot.errors import BotError, DeliveryError
from bot.pipeline import summarize_source
from bot.request import SummaryRequest
from bot.store import Claim, Status, Store, now
from bot.summarizers import Summarizer, Summary

if TYPE_CHECKING:
    from bot.cache import SummaryCache

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(days=1)


class RetryAfter(Exception):  # noqa: N818 - an instruction to the queue, not a failure
    """Slack said "not before ``seconds``" (a 429 on a rate-limited method): run the request again then."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds:.0f} s")
        self.seconds = seconds


def make_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        return RedisHuey("slack-summarizer", url=settings.redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("slack-summarizer", filename=str(settings.data_dir / "queue.db"), results=False)


class EmbeddedConsumer(Consumer):
    """A huey consumer that runs inside another program (Socket Mode, gunicorn): that program owns signals."""

    def _set_signal_handlers(self) -> None:
        pass


class Queue:
    def __init__(self, settings: Settings, store: Store, work: Callable[[SummaryRequest, bool], None] | None = None):
        """``work(request, last_try)`` runs a request; a process that only enqueues passes none."""
        self.settings = settings
        self.store = store
        self.huey = make_huey(settings)
        self._work = work
        self._task = self.huey.task(
            retries=settings.job_retries,
            retry_delay=settings.job_retry_delay,
            retry_backoff=2,
            context=True,
            name="summarize",
        )(self._run)

    def submit(self, request: SummaryRequest) -> Claim:
        claim = self.store.claim(request)
        if claim.new:
            self._task(request.to_dict())
        return claim

    def _run(self, payload: dict, task=None) -> None:
        if self._work is None:
            raise RuntimeError("this process only enqueues; run `python -m bot worker` to process requests")
        try:
            self._work(SummaryRequest.from_dict(payload), task is None or task.retries == 0)
        except RetryAfter as wait:  # not a failure: no retry is spent on it
            self.store.touch(SummaryRequest.from_dict(payload).key)
            self._task.schedule(args=(payload,), delay=wait.seconds)

    def requeue(self, request: SummaryRequest) -> None:
        self._task(request.to_dict())

    def consumer(self, threads: int | None = None) -> Workers:
        return Workers(self, threads or self.settings.worker_threads)


class Workers:
    """Consumer threads and the reaper, started and stopped together by whichever program hosts them.

    The consumer polls an idle SQLite queue at most every half second (Redis blocks instead). The
    reaper puts back requests a dead worker left behind: queued in the store, unleased, untouched for
    JOB_STRANDED_AFTER seconds. The lease makes a request that was queued twice run once.
    """

    def __init__(self, queue: Queue, threads: int) -> None:
        self.queue = queue
        self.consumer = EmbeddedConsumer(
            queue.huey, workers=threads, worker_type="thread", initial_delay=0.05, max_delay=0.5
        )
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="reaper", daemon=True)

    def start(self) -> None:
        self.consumer.start()
        self._reaper.start()
        retention.start_daily(self.queue.settings, self.queue.store, self._stop)

    def stop(self) -> None:
        self._stop.set()
        self.consumer.stop(graceful=True)

    def _reap(self) -> None:
        idle = self.queue.settings.job_stranded_after
        while not self._stop.wait(min(idle / 2, 30.0)):
            try:
                for request in self.queue.store.stranded(idle):
                    log.warning("request %s was left behind; queueing it again", request.key)
                    metrics.takeover()
                    self.queue.store.touch(request.key)
                    self.queue.requeue(request)
            except Exception:  # the reaper must outlive a database hiccup
                log.exception("reaper pass failed")


@dataclass
class Worker:
    """Runs one request end to end, under a lease: status reaction, pipeline, reply, final reaction."""

    settings: Settings
    store: Store
    summarizer: Summarizer
    delivery_for: Callable[[SummaryRequest], Delivery]  # a Delivery with the client of the request's installation
    cache: SummaryCache | None = None
    # Reads message ``source_ts`` of a request without a URL and queues its links (may raise RetryAfter).
    resolve: Callable[[SummaryRequest, Delivery], None] | None = None

    @logs.with_request_key
    def __call__(self, request: SummaryRequest, last_try: bool) -> None:
        if not self.store.lease(request.key, self.settings.job_lease):
            log.info("request %s is finished or another worker holds it", request.key)
            return
        try:
            with Heartbeat(self.store, request.key, self.settings.job_lease):
                self._run(request, last_try)
        finally:
            self.store.release(request.key)  # a retry, or the reaper, may take it at once

    def _run(self, request: SummaryRequest, last_try: bool) -> None:
        try:
            delivery = self.delivery_for(request)
        except DeliveryError as exc:  # no installation answers it: nothing can be posted (the lookup logged why)
            log.error("request %s dropped: %s", request.key, exc.message)
            self.store.finish(request.key, Status.FAILED)
            return
        if not request.url and self.resolve:
            try:
                self.resolve(request, delivery)
            except RetryAfter:
                if self._still_worth_it(request):
                    raise
                log.warning("request %s: Slack refused to show the message for a day; giving up", request.key)
            self.store.finish(request.key, Status.POSTED)
            return
        delivery.working(request)
        stream = self._draft_stream(delivery, request)
        try:
            with streaming.to(stream.append if stream else None):
                summary = summarize_source(
                    request.url, request.spec, self.summarizer, self.settings, cache=self.cache, fresh=request.fresh
                )
            self.store.record_usage(request, summary.backend, summary.model, summary.usage, self._cost(summary))
            metrics.model_usage(summary, self._cost(summary))
            with metrics.stage("post"):
                if stream:
                    streamed_summary(delivery, request, summary, stream)
                else:
                    delivery.summary(request, summary)
        except BotError as exc:
            if stream:
                withdraw(delivery, request, stream)
            if exc.transient and not last_try:
                log.info("request %s: %s; will retry", request.key, exc.message)
                metrics.retry(exc)
                raise
            self._fail(delivery, request, exc)
            return
        except Exception:
            log.exception("request %s: unexpected failure", request.key)
            if stream:
                withdraw(delivery, request, stream)
            if not last_try:
                metrics.retry("unexpected")
                raise
            self._fail(delivery, request, BotError("Something went wrong on my side while summarizing this link."))
            return
        self.store.finish(request.key, Status.POSTED)
        metrics.finished(request, "posted")
        delivery.finished(request, ok=True)

    def _draft_stream(self, delivery: Delivery, request: SummaryRequest) -> DraftStream | None:
        """STREAM_REPLIES with OpenAI, in a thread: the first draft shows while the model writes it."""
        if not (self.settings.stream_replies and self.summarizer.name == "openai" and request.thread_ts):
            return None
        return DraftStream(delivery.client, request)

    def _cost(self, summary: Summary) -> float:
        if summary.backend != "openai":
            return 0.0
        prices = self.settings.openai_price_input, self.settings.openai_price_output
        return (summary.usage.prompt_tokens * prices[0] + summary.usage.completion_tokens * prices[1]) / 1e6

    def _fail(self, delivery: Delivery, request: SummaryRequest, error: BotError) -> None:
        """Post the reason; while Slack itself is down, leave the request queued for the reaper instead."""
        if _slack_is_down(error) and self._still_worth_it(request):
            return self._wait_for_slack(request)
        try:
            delivery.failure(request, error.message)
        except DeliveryError as exc:
            if _slack_is_down(exc) and self._still_worth_it(request):
                return self._wait_for_slack(request)
            log.warning("request %s failed (%s) and the reason could not be posted: %s", request.key, error, exc)
        self.store.finish(request.key, Status.FAILED)
        metrics.finished(request, "failed")
        delivery.finished(request, ok=False)

    def _wait_for_slack(self, request: SummaryRequest) -> None:
        log.warning(
            "request %s: Slack is unavailable; it stays queued and is tried again in %.0f s",
            request.key,
            self.settings.job_stranded_after,
        )

    def _still_worth_it(self, request: SummaryRequest) -> bool:
        """A reply more than a day late helps nobody: give up then."""
        created = self.store.created_at(request.key)
        return created is not None and now() - created < GIVE_UP_AFTER


def _slack_is_down(error: BotError) -> bool:
    return isinstance(error, DeliveryError) and error.transient


class Heartbeat:
    """Renews a request's lease while its worker lives; a killed worker stops renewing, the lease runs out."""

    def __init__(self, store: Store, key: str, lease: float) -> None:
        self.store, self.key, self.lease = store, key, lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{key[:8]}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                self.store.renew(self.key, self.lease)
            except Exception:
                log.exception("could not renew the lease of %s", self.key)
