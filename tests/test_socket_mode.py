"""`python -m bot run`, a real process, in Socket Mode against the fake Slack: every envelope is acked
with its envelope_id, and a link still ends as one threaded reply."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.app import summaries, wait_until_finished
from tests.fixtures.slack import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.fixtures.slack_payloads import command_fields, event_payload, interaction_payload

CHANNEL, TEAM, USER = "C043YJGBY49", "T043DB835ML", "U043H11ES4V"


@pytest.fixture
def bot_run(slack_api: FakeSlack, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """`python -m bot run` connected to the fake Socket Mode server; stopped with Ctrl-C, which must exit 0."""
    env = os.environ | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": slack_api.api_url,
        "DATA_DIR": str(tmp_path / "data"),
        "FETCH_ALLOW_HOSTS": "127.0.0.1",
        "WORKER_THREADS": "2",
        "JOB_RETRY_DELAY": "0.2",
    }
    log = (tmp_path / "bot-run.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        slack_api.socket_mode.wait_for_connection(timeout=30)
        yield process
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0, (tmp_path / "bot-run.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def test_an_event_envelope_is_acked_and_its_link_answered_in_the_thread(bot_run, slack_api, web_site):
    payload = event_payload("event_callback.message.bare_link.json", link=web_site.url("/news/plain-article"),
                            ts=slack_api.next_ts())

    envelope_id = slack_api.socket_mode.send_event(payload)

    assert slack_api.socket_mode.wait_for_ack(envelope_id)["envelope_id"] == envelope_id
    wait_until_finished(slack_api, CHANNEL, payload["event"]["ts"])
    (summary,) = summaries(slack_api)
    assert (summary["channel"], summary["thread_ts"]) == (CHANNEL, payload["event"]["ts"])


def test_a_slash_command_envelope_is_acked_with_the_working_note(bot_run, slack_api, web_site):
    fields = command_fields(response_url=slack_api.response_url(), command="/summarize", team_id=TEAM,
                            channel_id=CHANNEL, user_id=USER, text=web_site.url("/news/plain-article"))

    envelope_id = slack_api.socket_mode.send_command(fields)

    ack = slack_api.socket_mode.wait_for_ack(envelope_id)
    assert ack["payload"]["text"].startswith(":hourglass_flowing_sand: Working on")
    (summary,) = slack_api.wait_for(lambda: summaries(slack_api), timeout=15)
    assert summary["thread_ts"]  # under the "Summary of ..." parent message


def test_a_shortcut_envelope_is_acked_and_the_message_answered(bot_run, slack_api, web_site):
    payload = interaction_payload("interactivity.message_action.json", response_url=slack_api.response_url(),
                                  text=f"<{web_site.url('/news/plain-article')}>", channel=CHANNEL,
                                  message_ts=slack_api.next_ts(), callback_id="summarize_message")

    envelope_id = slack_api.socket_mode.send_interaction(payload)

    assert slack_api.socket_mode.wait_for_ack(envelope_id)["envelope_id"] == envelope_id
    wait_until_finished(slack_api, CHANNEL, payload["message"]["ts"])
    assert len(summaries(slack_api)) == 1
