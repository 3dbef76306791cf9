"""Ack latency of `python -m bot serve` while the queue is busy with slow summaries, and while slow
clients hold connections open.

    python benchmarks/ack.py                          # 500 events + 500 commands, one sender
    python benchmarks/ack.py --concurrency 4 --latency 2.0
    python benchmarks/ack.py --slow-clients 64        # then: 0 and 64 slow-header clients, waitress vs gunicorn

Slack gives an app 3 seconds to answer a request, and retries (or shows the user an error) after
that; the doors must ack at once and leave the work to the queue. This starts, all on 127.0.0.1:
the fake Slack Web API (tests/fixtures/slack.py), the fake OpenAI server with every completion
slowed to ``--latency`` seconds (tests/fixtures/openai_server.py), a one-page article site, and a
real `python -m bot serve` (waitress, in-process queue workers, OpenAI backend pointed at the fake).
Then it sends signed `message` events and `/summarize` commands, each with a link nobody asked for
yet (so each one becomes a queued job), and times each HTTP round trip. Prints a table of
p50/p90/p99/max per kind; exits 1 when a p99 reaches ``--budget-ms`` (100 ms).

With ``--slow-clients N`` it goes on to a second table: signed events acked with 0 and then N
clients sending request headers one line every 2 s (tests/fixtures/slow_clients.py), for `serve`
(waitress, acks only) and for the server it replaced, gunicorn with 2 gthread workers of 8 threads
serving the same WSGI app (the named baseline). An ack slower than Slack's 3 s counts as failed.
The machine is shared and timings are noisy: compare runs, not single numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fixtures.openai_server import FakeOpenAIServer  # noqa: E402
from tests.fixtures.slack import BOT_TOKEN, FakeSlack  # noqa: E402
from tests.fixtures.slack_payloads import SIGNING_SECRET, command_body, event_payload, sign  # noqa: E402
from tests.fixtures.slow_clients import slow_headers, trickling  # noqa: E402
from tests.fixtures.web import one_page_site  # noqa: E402
from tests.fixtures.web_pages import PLAIN_ARTICLE, news_page  # noqa: E402

CHANNEL, TEAM, USER = "C043YJGBY49", "T043DB835ML", "U043H11ES4V"
WARMUP = 10  # requests per kind before timing: the first ones pay for imports and connection set-up
SLACK_PATIENCE = 3.0  # seconds Slack waits for an ack


@dataclass
class Timings:
    kind: str
    seconds: list[float]
    failed: int

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        ranked = sorted(self.seconds)
        return 1000 * ranked[max(0, min(len(ranked) - 1, round(p / 100 * len(ranked)) - 1))]


# -- the world around the app -------------------------------------------------------------------------
@contextmanager
def article_site() -> Iterator[str]:
    """The same ~600-word article at every path, so every link is a new request with real work."""
    with one_page_site(news_page(PLAIN_ARTICLE)) as site:
        yield site


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(port: int, threads: int, queue_workers: bool) -> list[list[str]]:
    """`python -m bot serve`: waitress, and its own queue worker child unless told not to."""
    flags = [] if queue_workers else ["--no-queue-workers"]
    return [[sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--threads", str(threads), *flags]]


def gunicorn_command(port: int, threads: int, queue_workers: bool) -> list[list[str]]:
    """The baseline: what `serve` ran before, gunicorn with 2 gthread workers on the same WSGI app, and a
    `python -m bot worker` beside it as `serve` started one."""
    gunicorn = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                "--worker-class", "gthread", "--threads", str(threads), "bot.app:wsgi()"]
    return [gunicorn] + ([[sys.executable, "-m", "bot", "worker"]] if queue_workers else [])


SERVERS = {"`serve` (waitress)": serve_command, "gunicorn 2 gthread x 8 (baseline)": gunicorn_command}


@contextmanager
def bot_serve(slack: FakeSlack, openai: FakeOpenAIServer, data_dir: Path, threads: int,
              command: Callable[..., list[list[str]]] = serve_command, queue_workers: bool = True) -> Iterator[str]:
    """The app's HTTP server on a free loopback port; yields its base URL once /healthz answers."""
    port = free_port()
    env = os.environ | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "SUMMARIZER_BACKEND": "openai",
        "OPENAI_API_KEY": "sk-benchmark-not-a-real-key",
        "OPENAI_BASE_URL": openai.base_url,
        "OPENAI_MODEL": openai.model,
        "DATA_DIR": str(data_dir),
        "FETCH_ALLOW_HOSTS": "127.0.0.1",
        "PYTHONPATH": str(REPO),
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "serve.log").open("wb")
    processes = [subprocess.Popen(argv, env=env, cwd=data_dir, stdout=log, stderr=subprocess.STDOUT)
                 for argv in command(port, threads, queue_workers)]
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, processes[0], data_dir / "serve.log")
        yield url
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"`python -m bot serve` exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still loading the app
            pass
        time.sleep(0.1)
    raise SystemExit(f"`python -m bot serve` did not answer /healthz within {timeout:.0f}s")


# -- what Slack sends ---------------------------------------------------------------------------------
def event_request(site: str, n: int) -> tuple[bytes, str]:
    """A person posts a link in a channel (the captured payload, a fresh ts and event_id)."""
    payload = event_payload("event_callback.message.bare_link.json", link=f"{site}/event/{n}",
                            ts=f"{1700000000 + n}.000100", channel=CHANNEL)
    return json.dumps(payload).encode(), "application/json"


def command_request(site: str, response_url: str, n: int) -> tuple[bytes, str]:
    """`/summarize <link>` typed in a channel."""
    body = command_body(response_url=response_url, command="/summarize", text=f"{site}/command/{n}",
                        team_id=TEAM, channel_id=CHANNEL, user_id=USER, trigger_id=f"trigger-{n}")
    return body, "application/x-www-form-urlencoded"


Build = Callable[[int], tuple[bytes, str]]


def timed_requests(url: str, build: Build, numbers: range, concurrency: int, timeout: float = 10
                   ) -> tuple[list[float], int]:
    """Send one signed request per number, ``concurrency`` at a time; returns round-trip seconds, failures
    (an answer other than 200, or none within ``timeout``)."""
    local = threading.local()

    def send(n: int) -> float | None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        body, content_type = build(n)
        headers = {"Content-Type": content_type} | sign(body, SIGNING_SECRET)
        started = time.perf_counter()
        try:
            response = local.session.post(url + "/slack/events", data=body, headers=headers, timeout=timeout)
        except requests.Timeout:
            local.session = requests.Session()
            return None
        elapsed = time.perf_counter() - started
        return elapsed if response.status_code == 200 else None

    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(send, numbers))
    return [r for r in results if r is not None], sum(r is None for r in results)


def measure(url: str, kind: str, build: Build, count: int, concurrency: int) -> Timings:
    timed_requests(url, build, range(-WARMUP, 0), concurrency)
    seconds, failed = timed_requests(url, build, range(count), concurrency)
    return Timings(kind, seconds, failed)


def busy(slack: FakeSlack, openai: FakeOpenAIServer, site: str, tmp: Path, args) -> tuple[list[Timings], str]:
    """Events and commands acked by each server while its queue works behind the acks."""
    results, notes = [], []
    for number, (name, command) in enumerate(SERVERS.items()):
        offset = 1_000_000 * (number + 1)  # links nobody asked for yet: each request becomes a job
        with bot_serve(slack, openai, tmp / f"busy-{number}", args.threads, command) as url:
            calls_before, started = len(openai.requests), time.monotonic()
            results += [
                measure(url, f"message events, {name}", lambda n, offset=offset: event_request(site, offset + n),
                        args.events, args.concurrency),
                measure(url, f"/summarize commands, {name}",
                        lambda n, offset=offset: command_request(site, slack.response_url(), offset + n), args.commands,
                        args.concurrency),
            ]
            notes.append(f"{name}: {len(openai.requests) - calls_before} model calls while acking for "
                         f"{time.monotonic() - started:.1f} s")
    return results, "; ".join(notes)


def with_slow_clients(slack: FakeSlack, openai: FakeOpenAIServer, site: str, tmp: Path, args) -> list[Timings]:
    """Signed events acked by each server with no slow clients, then with ``--slow-clients`` of them."""
    results = []
    for number, (name, command) in enumerate(SERVERS.items()):
        with bot_serve(slack, openai, tmp / f"slow-{number}", args.threads, command, queue_workers=False) as url:
            def build(n: int, offset: int = 100_000 * (number + 1)) -> tuple[bytes, str]:
                return event_request(site, offset + n)

            timed_requests(url, build, range(-WARMUP, 0), 1)
            for clients in (0, args.slow_clients):
                base = 10_000 * (clients + 1)
                with trickling(url, clients, slow_headers):
                    seconds, failed = timed_requests(url, lambda n, base=base: build(base + n),
                                                     range(args.slow_events), 1, SLACK_PATIENCE)
                results.append(Timings(f"{name}, {clients} slow clients", seconds, failed))
    return results


def ratios(results: list[Timings]) -> str:
    """p50 and p99 of `serve` over the baseline's, row by row (the same requests, the same run)."""
    ours = [r for r in results if "`serve`" in r.kind]
    theirs = [r for r in results if "baseline" in r.kind]
    lines = []
    for mine, base in zip(ours, theirs, strict=True):
        what = mine.kind.replace(", `serve` (waitress)", "").replace("`serve` (waitress), ", "")
        if mine.seconds and base.seconds:
            lines.append(f"{what}: p50 x{mine.percentile(50) / base.percentile(50):.2f}, "
                         f"p99 x{mine.percentile(99) / base.percentile(99):.2f} of the baseline's")
        else:
            lines.append(f"{what}: `serve` acked {len(mine.seconds)}/{len(mine.seconds) + mine.failed}, "
                         f"the baseline {len(base.seconds)}/{len(base.seconds) + base.failed}")
    return "\n".join(lines)


# -- the report ---------------------------------------------------------------------------------------
def table(results: list[Timings], budget_ms: float) -> str:
    lines = ["| requests | n | failed | p50 ms | p90 ms | p99 ms | max ms | mean ms | p99 < budget |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        if not r.seconds:
            lines.append(f"| {r.kind} | 0 | {r.failed} | – | – | – | – | – | NO |")
            continue
        p99 = r.percentile(99)
        lines.append(
            f"| {r.kind} | {len(r.seconds)} | {r.failed} | {r.percentile(50):.1f} | {r.percentile(90):.1f} | "
            f"{p99:.1f} | {1000 * max(r.seconds):.1f} | {1000 * statistics.fmean(r.seconds):.1f} | "
            f"{'yes' if p99 < budget_ms else 'NO'} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once")
    parser.add_argument("--latency", type=float, default=2.0, help="seconds the fake model takes per completion")
    parser.add_argument("--threads", type=int, default=8, help="threads answering Slack's requests")
    parser.add_argument("--budget-ms", type=float, default=100.0)
    parser.add_argument("--slow-clients", type=int, default=0, help="then measure with this many slow clients")
    parser.add_argument("--slow-events", type=int, default=20, help="signed events per slow-clients run")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="ack-bench-") as tmp,
        FakeSlack() as slack,
        FakeOpenAIServer(latency=args.latency) as openai,
        article_site() as site,
    ):
        results, note = busy(slack, openai, site, Path(tmp), args)
        slow = with_slow_clients(slack, openai, site, Path(tmp), args) if args.slow_clients else []

    print(f"`python -m bot serve --threads {args.threads}` (waitress) against the gunicorn baseline, fake model "
          f"latency {args.latency:g} s, {args.concurrency} request(s) in flight, {WARMUP} warm-up requests per kind "
          "not counted")
    print(table(results, args.budget_ms))
    print(f"\n{note}: the work was running behind the acks\n{ratios(results)}")
    if slow:
        print(f"\nsigned events acked one at a time, {args.slow_events} per row, with clients sending request headers "
              f"one line every 2 s; failed = no 200 within Slack's {SLACK_PATIENCE:g} s (acks only, no queue workers)")
        print(table(slow, args.budget_ms))
        print(ratios(slow))
    ours = [r for r in results + slow if "`serve`" in r.kind]
    return 0 if all(r.seconds and r.percentile(99) < args.budget_ms and not r.failed for r in ours) else 1

if __name__ == "__main__":
    sys.exit(main())
