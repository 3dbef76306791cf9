"""Throughput, memory and cache-hit latency of the app, embedded and scaled out.

    python benchmarks/throughput.py                          # 100 links, model latency 2 s, all modes
    python benchmarks/throughput.py --modes run,scaled --links 50 --latency 1.0

For each mode this starts, all on 127.0.0.1, a fake Slack (Web API and Socket Mode), the fake OpenAI
server answering every completion after ``--latency`` seconds, a one-article site, and real app
processes on the OpenAI backend:

    run      `python -m bot run`: Socket Mode, in-process queue workers, SQLite (the one-machine default)
    serve    `python -m bot serve`: waitress (8 threads) and the `worker` child it starts, SQLite
    scaled   `python -m bot serve --no-queue-workers` and 2 `python -m bot worker`, Redis and PostgreSQL

Then, per mode: one warm-up link; three links one at a time (the single-summary latency, median);
``--links`` links posted at once (wall time from the first post to the last summary in Slack); and
``--cache-hits`` links already summarized, posted one at a time in another channel (event to reply:
fetch and extract, no model call). The target for the batch is 1.5 x single x ceil(links / workers).
Memory is read from /proc/<pid>/status: VmRSS once warm and idle, VmHWM (peak) after the batch,
summed over the mode's processes (`serve` and its worker child, queue worker processes).
The machine is shared and timings are noisy: compare ratios and medians, not single numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402
import redis  # noqa: E402
from ack import article_site  # noqa: E402  (a sibling script: its one-article site)

from tests.fixtures.app import summaries  # noqa: E402
from tests.fixtures.openai_server import FakeOpenAIServer  # noqa: E402
from tests.fixtures.services import (  # noqa: E402
    POSTGRES_URL,
    REDIS_URL,
    BotLauncher,
    BotProcess,
    PostgresServer,
    bot_env,
    redis_database,
)
from tests.fixtures.slack import APP_TOKEN, FakeSlack  # noqa: E402
from tests.fixtures.slack_payloads import SlackSender, event_payload  # noqa: E402

CHANNEL, OTHER_CHANNEL = "C043YJGBY49", "C0000CACHE1"
SINGLES = 3
Send = Callable[[dict[str, Any]], None]


@dataclass
class Result:
    mode: str
    concurrency: int
    single: float = 0.0
    wall: float = 0.0
    links: int = 0
    cache_hits: list[float] = field(default_factory=list)
    model_calls: int = 0
    idle_mb: float = 0.0
    peak_mb: float = 0.0
    pids: int = 0
    processes: str = ""

    @property
    def rounds(self) -> int:
        return math.ceil(self.links / self.concurrency)

    @property
    def ratio(self) -> float:
        """Batch wall time over the ideal: every round of ``concurrency`` summaries as fast as one alone."""
        return self.wall / (self.single * self.rounds)


# -- one mode -----------------------------------------------------------------------------------------
@dataclass
class Deployment:
    send: Send
    processes: list[BotProcess]
    concurrency: int
    description: str


def measure(name: str, start: Callable[..., Deployment], args: argparse.Namespace, site: str) -> Result:
    with (
        tempfile.TemporaryDirectory(prefix=f"throughput-{name}-") as tmp,
        FakeSlack() as slack,
        FakeOpenAIServer(latency=args.latency) as model,
    ):
        env = bot_env(slack.api_url, Path(tmp) / "data", **openai_env(model), worker_threads=str(args.threads))
        launcher = BotLauncher(Path(tmp), env)
        try:
            deployment = start(launcher, slack, args)
            result = Result(name, deployment.concurrency, links=args.links, processes=deployment.description)
            latency(slack, deployment.send, f"{site}/warm-up")
            result.idle_mb = memory(deployment.processes, "VmRSS")
            result.single = statistics.median(
                latency(slack, deployment.send, f"{site}/single/{n}") for n in range(SINGLES)
            )
            result.wall = batch(slack, deployment.send, [f"{site}/batch/{n}" for n in range(args.links)])
            result.peak_mb = memory(deployment.processes, "VmHWM")
            result.pids = len([pid for started in deployment.processes for pid in process_tree(started.process.pid)])
            result.model_calls = len(model.requests)
            hits = [f"{site}/batch/{n}" for n in range(min(args.cache_hits, args.links))]
            result.cache_hits = [latency(slack, deployment.send, url, OTHER_CHANNEL) for url in hits]
            assert len(model.requests) == result.model_calls, "a cache hit called the model"
            return result
        finally:
            launcher.stop_all()
            keep_logs(launcher, name, args.logs)


def keep_logs(launcher: BotLauncher, mode: str, into: Path | None) -> None:
    """Copy what the app processes printed, for a look at warnings after the run."""
    if into:
        into.mkdir(parents=True, exist_ok=True)
        for started in launcher.processes:
            shutil.copy(started.log, into / f"{mode}-{started.log.name}")


def openai_env(model: FakeOpenAIServer) -> dict[str, str]:
    return {
        "summarizer_backend": "openai",
        "openai_api_key": "sk-benchmark-not-a-real-key",
        "openai_base_url": model.base_url,
        "openai_model": model.model,
    }


def latency(slack: FakeSlack, send: Send, url: str, channel: str = CHANNEL) -> float:
    """Seconds from posting ``url`` to its summary appearing in the thread."""
    payload = link_event(slack, url, channel)
    started = time.perf_counter()
    send(payload)
    ts = payload["event"]["ts"]
    slack.wait_for(lambda: any(post["thread_ts"] == ts for post in summaries(slack)), timeout=120)
    return time.perf_counter() - started


def batch(slack: FakeSlack, send: Send, urls: list[str]) -> float:
    """Seconds from posting every link at once to the last summary."""
    payloads = [link_event(slack, url, CHANNEL) for url in urls]
    expected = len(summaries(slack)) + len(payloads)
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(send, payloads))
    slack.wait_for(lambda: len(summaries(slack)) >= expected, timeout=600)
    return time.perf_counter() - started


def link_event(slack: FakeSlack, url: str, channel: str) -> dict[str, Any]:
    return event_payload("event_callback.message.bare_link.json", link=url, ts=slack.next_ts(), channel=channel)


def memory(processes: list[BotProcess], field_name: str) -> float:
    """``field_name`` of /proc/<pid>/status in MB, summed over the processes and their children."""
    total_kb = 0
    for pid in (pid for started in processes for pid in process_tree(started.process.pid)):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field_name + ":"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


def process_tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid] + [grandchild for child in children for grandchild in process_tree(int(child))]


# -- the three deployments ----------------------------------------------------------------------------
def start_run(launcher: BotLauncher, slack: FakeSlack, args: argparse.Namespace) -> Deployment:
    started = launcher.run(slack_app_token=APP_TOKEN)
    slack.socket_mode.wait_for_connection(timeout=60)
    return Deployment(
        slack.socket_mode.send_event,
        [started],
        args.threads,
        f"`run`: Socket Mode, {args.threads} queue threads, SQLite",
    )


def start_serve(launcher: BotLauncher, slack: FakeSlack, args: argparse.Namespace) -> Deployment:
    started = launcher.serve(queue_workers=True)
    return Deployment(
        http_sender(started.url),
        [started],
        args.threads,
        f"`serve`: waitress 8 threads + its `worker` child, {args.threads} threads, SQLite",
    )


@contextlib.contextmanager
def services() -> Iterator[dict[str, str] | None]:
    """A Redis database and a PostgreSQL database of the benchmark's own, or None if either is absent."""
    try:
        server = redis.Redis.from_url(f"{REDIS_URL}/0", socket_connect_timeout=2)
        server.ping()
        postgres = PostgresServer(psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3))
    except (redis.RedisError, psycopg.Error) as exc:
        print(f"scaled mode skipped: {exc}", file=sys.stderr)
        yield None
        return
    try:
        with redis_database(server) as redis_url:
            yield {"redis_url": redis_url, "database_url": postgres.create_database()} if redis_url else None
    finally:
        postgres.drop_all()


def scaled(urls: dict[str, str]) -> Callable[..., Deployment]:
    def start(launcher: BotLauncher, slack: FakeSlack, args: argparse.Namespace) -> Deployment:
        server = launcher.serve(**urls)
        workers = [launcher.worker(**urls) for _ in range(2)]
        return Deployment(
            http_sender(server.url),
            [server, *workers],
            2 * args.threads,
            f"`serve --no-queue-workers` + 2 `worker` x {args.threads} threads, Redis + PostgreSQL",
        )

    return start


def http_sender(url: str) -> Send:
    """Signed Events API POSTs, one connection per sending thread."""
    local = threading.local()

    def send(payload: dict[str, Any]) -> None:
        if not hasattr(local, "sender"):
            local.sender = SlackSender(url)
        local.sender.event(payload).raise_for_status()

    return send


# -- the report ---------------------------------------------------------------------------------------
def report(results: list[Result], args: argparse.Namespace) -> str:
    lines = [
        f"{args.links} links posted at once, fake model latency {args.latency:g} s (OpenAI backend, 1 request per "
        f"summary), local article site; single = median of {SINGLES} links posted one at a time.",
        "",
        "| mode | workers | single s | batch wall s | target s (1.5 x single x rounds) | ratio to ideal | pass |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        target = 1.5 * r.single * r.rounds
        lines.append(
            f"| {r.processes} | {r.concurrency} | {r.single:.2f} | {r.wall:.1f} | {target:.1f} "
            f"| {r.ratio:.2f} | {'yes' if r.wall < target else 'NO'} |"
        )
    lines += [
        "",
        "| mode | processes | idle RSS MB (summed) | peak RSS MB (VmHWM summed, under load) | model calls |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {r.mode} | {r.pids} | {r.idle_mb:.0f} | {r.peak_mb:.0f} | {r.model_calls} |" for r in results]
    lines += ["", "| mode | cache hits | p50 ms | p99 ms (nearest rank) |", "| --- | ---: | ---: | ---: |"]
    for r in results:
        ranked = sorted(r.cache_hits)
        p99 = ranked[max(0, math.ceil(0.99 * len(ranked)) - 1)] if ranked else 0.0
        lines.append(f"| {r.mode} | {len(ranked)} | {1000 * statistics.median(ranked or [0]):.0f} | {1000 * p99:.0f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=100)
    parser.add_argument("--latency", type=float, default=2.0, help="seconds the fake model takes per completion")
    parser.add_argument("--threads", type=int, default=8, help="queue worker threads per process (WORKER_THREADS)")
    parser.add_argument("--cache-hits", type=int, default=20)
    parser.add_argument("--modes", default="run,serve,scaled")
    parser.add_argument("--logs", type=Path, help="copy the app processes' logs into this directory")
    args = parser.parse_args()

    results = []
    with article_site() as site, services() as urls:
        modes = {"run": start_run, "serve": start_serve} | ({"scaled": scaled(urls)} if urls else {})
        for name in args.modes.split(","):
            if name in modes:
                results.append(measure(name, modes[name], args, site))
                print(f"{name}: done", file=sys.stderr)
    print(report(results, args))
    return 0 if all(r.wall < 1.5 * r.single * r.rounds for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
