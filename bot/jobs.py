"""The durable queue between the doors and the work.

Every door calls :meth:`Queue.submit`: the store claims the request (so retries and duplicate
deliveries are dropped), then huey keeps it until a worker runs it. Embedded, huey lives in a SQLite
file in the data directory and the consumer runs as threads of `python -m bot run`; with REDIS_URL
the queue is Redis and `python -m bot worker` runs consumers on any number of machines.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from bot import logs, metrics, retention, slack_files, streaming
from bot.config import Settings
from bot.deliver import Delivery, DraftStream, streamed_summary, tell_without_token, withdraw
from bot.errors import BotError, DeliveryError, FetchTimeout
from bot.pipeline import summarize_bytes, summarize_source
from bot.request import SummaryRequest
from bot.store import Claim, Lease, Status, Store, now
from bot.summarizers import Summarizer, Summary

if TYPE_CHECKING:
    from bot.cache import SummaryCache

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(days=1)
SLOW_AFTER = 1.0  # a fetch still running after this long means its host is slow
DEFER_SLOW, DEFER_BUSY = 2.0, 0.5  # seconds a request waits in the queue for a slow host, a busy one


class Deferred(Exception):
    """Raised by the work before its fetch: put the request back in the queue for ``delay`` seconds."""

    def __init__(self, host: str, delay: float) -> None:
        super().__init__(host)
        self.delay = delay


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
    """A huey consumer that runs inside another program (Socket Mode, waitress): that program owns signals."""

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
        except Deferred as deferred:
            self._task.schedule(args=(payload,), delay=deferred.delay)

    def requeue(self, request: SummaryRequest) -> None:
        self._task(request.to_dict())

    def consumer(self, threads: int | None = None) -> Workers:
        return Workers(self, threads or self.settings.worker_threads)


class Workers:
    """Consumer threads, the reaper and the heartbeat, started and stopped together by whichever
    program hosts them.

    The consumer polls an idle SQLite queue at most every half second (Redis blocks instead). The
    reaper puts back requests a dead worker left behind: as soon as the lease it held runs out
    (JOB_LEASE), or, for a queue entry lost before any worker leased it, after JOB_STRANDED_AFTER
    seconds untouched. The lease makes a request that was queued twice run once. The heartbeat row
    says in the store that this process's consumer threads are alive (for /healthz, `worker --check`).
    """

    def __init__(self, queue: Queue, threads: int) -> None:
        self.queue = queue
        self.threads = threads
        # Twice the threads: as many requests may wait on slow sites as run (see WorkSlots).
        self.consumer = EmbeddedConsumer(
            queue.huey, workers=2 * threads, worker_type="thread", initial_delay=0.05, max_delay=0.5
        )
        self.id = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="reaper", daemon=True)
        self._heart = threading.Thread(target=self._beat, name="worker-heartbeat", daemon=True)

    def start(self) -> None:
        self.consumer.start()
        self._reaper.start()
        retention.start_daily(self.queue.settings, self.queue.store, self._stop)
        self._heart.start()

    def stop(self) -> None:
        self._stop.set()
        self.consumer.stop(graceful=True)
        with contextlib.suppress(Exception):
            self.queue.store.worker_gone(self.id)

    def _reap(self) -> None:
        settings = self.queue.settings
        idle = settings.job_stranded_after
        while not self._stop.wait(min(settings.job_lease / 4, idle / 2, 15.0)):
            try:
                for request in self.queue.store.stranded(idle):
                    if self.queue.store.reclaim(request.key, idle):
                        log.warning("request %s was left behind by a worker; queueing it again", request.key)
                        metrics.takeover()
                        self.queue.requeue(request)
            except Exception:  # the reaper must outlive a database hiccup
                log.exception("reaper pass failed")

    def _beat(self) -> None:
        store, host = self.queue.store, socket.gethostname()
        while True:
            try:
                if self.alive():
                    store.worker_beat(self.id, host, os.getpid(), self.threads)
            except Exception:
                log.exception("could not write this worker's heartbeat")
            if self._stop.wait(self.queue.settings.worker_heartbeat):
                return

    def alive(self) -> bool:
        """Every consumer thread still runs (a thread that died would leave the queue short)."""
        return not self._stop.is_set() and all(thread.is_alive() for _, thread in self.consumer.worker_threads)


class HostSlots:
    """How many fetches from each host run at once in this process: FETCH_PER_HOST, so that one slow
    site holds at most that many worker threads; its other requests wait in the queue, not in a thread.

    A fetch that finds its host's slots taken waits for one (as many threads as there are slots may
    wait) while the fetches holding them are young, as in a burst of links to one fast site; it goes
    back to the queue when they have run SLOW_AFTER, or when enough threads wait already.
    """

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self._started: dict[str, list[float]] = {}
        self._waiting: Counter[str] = Counter()
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def hold(self, url: str) -> Iterator[None]:
        host = _host(url)
        if not self.per_host or not host:
            yield
            return
        with self._cond:
            running = self._started.setdefault(host, [])
            if len(running) >= self.per_host:
                self._wait_for_slot(host, running)
            started = time.monotonic()
            running.append(started)
        try:
            yield
        finally:
            with self._cond:
                running.remove(started)
                if not running and not self._waiting[host]:
                    del self._started[host]
                self._cond.notify_all()

    def _wait_for_slot(self, host: str, running: list[float]) -> None:
        if self._waiting[host] >= self.per_host:
            raise Deferred(host, DEFER_BUSY)
        self._waiting[host] += 1
        try:
            while len(running) >= self.per_host:
                slow_in = min(running) + SLOW_AFTER - time.monotonic()
                if slow_in <= 0:
                    raise Deferred(host, DEFER_SLOW)
                self._cond.wait(slow_in)
        finally:
            self._waiting[host] -= 1
            if not self._waiting[host]:
                del self._waiting[host]


class WorkSlots:
    """WORKER_THREADS requests run at once, not counting the time they wait for a site: a fetch steps
    aside and its slot goes to the next request (the consumer has a spare thread for it).

    So slow pages on many different sites hold at most the spare threads, never the working ones.
    """

    def __init__(self, slots: int) -> None:
        self._free = threading.Semaphore(slots)

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        self._free.acquire()
        try:
            yield
        except Deferred:
            raise  # deferred from its fetch, where the slot was already given back
        except BaseException:
            self._free.release()
            raise
        self._free.release()

    @contextlib.contextmanager
    def aside(self) -> Iterator[None]:
        """Around a fetch, inside :meth:`working`: the slot is given back for its duration (and not
        taken again by a request going back to the queue)."""
        self._free.release()
        try:
            yield
        except Deferred:
            raise
        except BaseException:
            self._free.acquire()
            raise
        self._free.acquire()


def _host(url: str) -> str:
    try:
        parts = urlsplit(url)
        return (parts.netloc.rpartition("@")[2] or "").lower() if parts.scheme in ("http", "https") else ""
    except ValueError:
        return ""


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
    hosts: HostSlots = field(init=False)
    slots: WorkSlots = field(init=False)

    def __post_init__(self) -> None:
        self.hosts = HostSlots(self.settings.fetch_per_host)
        self.slots = WorkSlots(self.settings.worker_threads)

    @logs.with_request_key
    def __call__(self, request: SummaryRequest, last_try: bool) -> None:
        lease = self.store.lease(request.key, self.settings.job_lease)
        if lease is None:
            log.info("request %s is finished or another worker holds it", request.key)
            return
        try:
            if lease.abandoned >= self.settings.job_max_attempts:
                return self._give_up(request, lease.abandoned)
            with Heartbeat(self.store, lease, self.settings.job_lease), self.slots.working():
                self._run(request, lease, last_try)
        finally:
            self.store.release(lease)  # a retry, a deferred run or the reaper may take it at once

    def _give_up(self, request: SummaryRequest, deaths: int) -> None:
        """A page that killed every worker that tried it (out of memory, a crash in a parser) is not tried again."""
        log.error("request %s stopped its worker %d times; giving up on it", request.key, deaths)
        reason = f"it stopped my worker {deaths} times, so I gave up on it (the page may be too large or malformed)."
        try:
            delivery = self.delivery_for(request)
        except DeliveryError as exc:
            return self._drop(request, exc)
        self._fail(delivery, request, BotError(reason))

    def _drop(self, request: SummaryRequest, exc: DeliveryError) -> None:
        """No installation answers the request (the lookup logged why): no token, so no thread to post in."""
        log.error("request %s dropped: %s", request.key, exc.message)
        tell_without_token(request, exc.message)
        self.store.finish(request.key, Status.FAILED)

    def _run(self, request: SummaryRequest, lease: Lease, last_try: bool) -> None:
        try:
            delivery = self.delivery_for(request)
        except DeliveryError as exc:
            return self._drop(request, exc)
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
                summary = self._summarize(request, delivery)
            self.store.record_usage(request, summary.backend, summary.model, summary.usage, self._cost(summary))
            metrics.model_usage(summary, self._cost(summary))
            if not self.store.renew(lease, self.settings.job_lease):
                log.warning("request %s was taken over while this run stalled; the other run answers it", request.key)
                return
            with metrics.stage("post"):
                if stream:
                    streamed_summary(delivery, request, summary, stream)
                else:
                    delivery.summary(request, summary)
        except Deferred:
            if stream:
                withdraw(delivery, request, stream)
            raise
        except BotError as exc:
            if stream:
                withdraw(delivery, request, stream)
            if isinstance(exc, FetchTimeout) and self.store.record_timeout(lease) > self.settings.job_timeout_retries:
                last_try = True  # slow sites get a budget of their own, smaller than other transient errors
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

    @contextlib.contextmanager
    def _fetching(self, url: str) -> Iterator[None]:
        with self.slots.aside(), self.hosts.hold(url):
            yield

    def _summarize(self, request: SummaryRequest, delivery: Delivery) -> Summary:
        """A web link is fetched by the engine; a file shared in Slack is fetched here, with the token."""
        if slack_files.is_file_link(request.url):
            with metrics.stage("fetch"), self._fetching(request.url):
                shared = slack_files.download(delivery.client, request.url, self.settings)
            return summarize_bytes(
                shared.data, shared.content_type, shared.name, request.spec, self.summarizer, self.settings,
                cache=self.cache, fresh=request.fresh,
            )
        return summarize_source(
            request.url, request.spec, self.summarizer, self.settings, cache=self.cache, fetch_slot=self._fetching,
            fresh=request.fresh,
        )

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
    """Renews a request's lease while its worker lives; a killed worker stops renewing, the lease runs out.

    A run that stalled past its lease and was taken over cannot renew the new run's lease (the token).
    """

    def __init__(self, store: Store, lease: Lease, seconds: float) -> None:
        self.store, self.key, self.held, self.lease = store, lease.key, lease, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.key[:8]}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                if not self.store.renew(self.held, self.lease):
                    log.warning("request %s: this run lost its lease to another worker", self.key)
                    return
            except Exception:
                log.exception("could not renew the lease of %s", self.key)
