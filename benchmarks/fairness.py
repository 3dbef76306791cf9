"""Slow sites against ordinary links: how long ordinary links wait while slow pages hold the queue.

    python benchmarks/fairness.py                     # slow pages stall 30 s, production settings
    python benchmarks/fairness.py --stall 10 --slow 9 --ordinary 10

Starts, on 127.0.0.1: the fake Slack Web API, one ordinary one-article site, slow sites whose every
page stalls ``--stall`` seconds before answering (tests/fixtures/web.py: gated_site), and the real app
(Bolt over HTTP, the real huey queue on SQLite, WORKER_THREADS=8, the extractive summarizer and
every other setting at its default: FETCH_TIMEOUT 10 s, so a stalled page times out). Per scenario it
posts the slow links, then the ordinary ones, as Slack events, and times each ordinary link from its
event to its summary in Slack. Scenarios, each in a fresh app:

    alone             the ordinary links only (the usual speed)
    slow, 1 host      --slow links on one slow site first           FETCH_PER_HOST=2, JOB_TIMEOUT_RETRIES=1
    slow, 3 hosts     the same links spread over three slow sites   (the defaults)
    slow, 9 hosts     one link on each of nine slow sites
    no limit, 1 host  as "slow, 1 host" with FETCH_PER_HOST=0 and JOB_TIMEOUT_RETRIES=5

Prints the median and the slowest ordinary-link latency per scenario, and the median's ratio to
"alone" in the same run. The machine is shared and timings are noisy: compare ratios, not single numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pydantic import SecretStr  # noqa: E402

from bot.config import Settings  # noqa: E402
from tests.fixtures.app import running_app, summaries  # noqa: E402
from tests.fixtures.slack import BOT_TOKEN, FakeSlack  # noqa: E402
from tests.fixtures.slack_payloads import SIGNING_SECRET, event_payload  # noqa: E402
from tests.fixtures.web import gated_site, one_page_site  # noqa: E402
from tests.fixtures.web_pages import SHORT_ARTICLE, news_page  # noqa: E402

SCENARIOS = {
    "alone": (0, {}),
    "slow, 1 host": (1, {}),
    "slow, 3 hosts": (3, {}),
    "slow, 9 hosts": (9, {}),
    "no limit, 1 host": (1, {"fetch_per_host": 0, "job_timeout_retries": 5}),
}


def run(name: str, hosts: int, overrides: dict, args: argparse.Namespace, ordinary_site: str) -> list[float]:
    """Latencies (s) of the ordinary links in one scenario."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        slack = stack.enter_context(FakeSlack())
        slow_sites = [stack.enter_context(gated_site(max_wait=args.stall)) for _ in range(hosts)]
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp),
            fetch_allow_hosts=["127.0.0.1"],
            slack_bot_token=SecretStr(BOT_TOKEN),
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_api_url=slack.api_url,
            summarizer_backend="extractive",
            cache_ttl_hours=0,
            **overrides,
        )
        app = stack.enter_context(running_app(settings))
        for n in range(args.slow if hosts else 0):
            post(app, slack, f"{slow_sites[n % hosts].url}/slow/{n}")
        posted_at = {post(app, slack, f"{ordinary_site}/{name}/{n}"): time.monotonic() for n in range(args.ordinary)}
        answered: dict[str, float] = {}
        deadline = time.monotonic() + args.stall * 8
        while len(answered) < len(posted_at) and time.monotonic() < deadline:
            for summary in summaries(slack):
                if summary["thread_ts"] in posted_at:
                    answered.setdefault(summary["thread_ts"], time.monotonic())
            time.sleep(0.02)
        for site in slow_sites:
            site.open()  # let the app stop without waiting out the stalls
        missing = len(posted_at) - len(answered)
        if missing:
            print(f"  {name}: {missing} ordinary links unanswered", file=sys.stderr)
        return [answered[ts] - posted_at[ts] for ts in answered]


def post(app, slack: FakeSlack, url: str) -> str:
    payload = event_payload("event_callback.message.bare_link.json", link=url, ts=slack.next_ts())
    assert app.send.event(payload).status_code == 200
    return payload["event"]["ts"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stall", type=float, default=30.0, help="seconds every slow page stalls")
    parser.add_argument("--slow", type=int, default=9, help="slow links per scenario")
    parser.add_argument("--ordinary", type=int, default=10, help="ordinary links per scenario")
    args = parser.parse_args()
    threading.excepthook = lambda hook: None  # the slow sites' threads outlive their clients
    rows = []
    with one_page_site(news_page(SHORT_ARTICLE)) as ordinary_site:
        for name, (hosts, overrides) in SCENARIOS.items():
            started = time.monotonic()
            latencies = run(name, hosts, overrides, args, ordinary_site)
            rows.append((name, latencies, time.monotonic() - started))
    alone = statistics.median(rows[0][1])
    print(f"\n{args.slow} slow links (pages stalling {args.stall:.0f} s) posted before {args.ordinary} ordinary ones")
    print(f"{'scenario':<18} {'answered':>8} {'median s':>9} {'max s':>7} {'x alone':>8}")
    for name, latencies, _took in rows:
        median = statistics.median(latencies) if latencies else float("nan")
        worst = max(latencies, default=float("nan"))
        print(f"{name:<18} {len(latencies):>8} {median:>9.2f} {worst:>7.2f} {median / alone:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
