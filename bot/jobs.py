"""The durable queue between the doors and the work.

Every door calls :meth:`Queue.submit`: the store claims the request (so retries and duplicate
deliveries are dropped), then huey keeps it until a worker runs it. Embedded, huey lives in a SQLite
file in the data directory and the consumer runs as threads of `python -m bot run`; with REDIS_URL
the queue is Redis and `python -m bot worker` runs consumers on any number of machines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from bot.config import Settings
from bot.deliver import Delivery
from bot.errors import BotError
from bot.pipeline import summarize_source
from bot.request import SummaryRequest
from bot.store import Claim, Status, Store
from bot.summarizers import Summarizer

log = logging.getLogger(__name__)


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
        self._work(SummaryRequest.from_dict(payload), task is None or task.retries == 0)

    def consumer(self, threads: int | None = None) -> Consumer:
        """Thread workers that poll an idle SQLite queue at most every half second (Redis blocks instead)."""
        workers = threads or self.settings.worker_threads
        return EmbeddedConsumer(self.huey, workers=workers, worker_type="thread", initial_delay=0.05, max_delay=0.5)


@dataclass
class Worker:
    """Runs one request end to end: status reaction, pipeline, reply, final reaction."""

    settings: Settings
    store: Store
    summarizer: Summarizer
    delivery_for: Callable[[str], Delivery]  # team_id -> Delivery with that workspace's client

    def __call__(self, request: SummaryRequest, last_try: bool) -> None:
        progress = self.store.progress(request.key)
        if progress and progress.status != Status.QUEUED:
            log.info("request %s already %s; nothing to do", request.key, progress.status)
            return
        delivery = self.delivery_for(request.team_id)
        delivery.working(request)
        try:
            summary = summarize_source(request.url, request.spec, self.summarizer, self.settings)
            delivery.summary(request, summary)
        except BotError as exc:
            if exc.transient and not last_try:
                log.info("request %s: %s; will retry", request.key, exc.message)
                raise
            self._fail(delivery, request, exc.message)
            return
        except Exception:
            log.exception("request %s: unexpected failure", request.key)
            if not last_try:
                raise
            self._fail(delivery, request, "Something went wrong on my side while summarizing this link.")
            return
        self.store.finish(request.key, Status.POSTED)
        delivery.finished(request, ok=True)

    def _fail(self, delivery: Delivery, request: SummaryRequest, reason: str) -> None:
        try:
            delivery.failure(request, reason)
        except BotError as exc:
            log.warning("request %s failed (%s) and the failure could not be posted: %s", request.key, reason, exc)
        self.store.finish(request.key, Status.FAILED)
        delivery.finished(request, ok=False)
