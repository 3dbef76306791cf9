"""Every message shape Slack sends, as recorded in Slack's SDK repositories (tests/data/slack/sdk-payloads),
handled as a person expects, with one SLACK_BOT_TOKEN and in OAuth mode alike."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import yaml

from tests.fixtures.app import summaries, wait_until_finished
from tests.fixtures.installations import installed
from tests.fixtures.slack_payloads import load_sdk_payload, sdk_event, sign

ROOT = Path(__file__).resolve().parents[1]
FILE_SHARE = "bolt-python.message.file_share.json"  # team T111, channel C111, a PNG attached
ME_MESSAGE = "java-slack-sdk.MessageMePayload.json"
BOT_MENTION = "java-slack-sdk.AppMentionPayload.json"
RATE_LIMITED = "docs.app_rate_limited.json"
# The ids the blanked java-slack-sdk samples get: the file_share payload's workspace and channel.
TEAM, CHANNEL, PERSON = "T111", "C111", "U111"
WORKSPACE = {"team_id": TEAM, "enterprise_id": None}


def send(app, payload: dict) -> None:
    assert app.send.event(payload).status_code == 200


def test_a_link_typed_with_a_file_upload_is_summarized_and_the_file_is_not(any_app, slack_api, web_site):
    payload = sdk_event(FILE_SHARE, text=f"Hi there! <{web_site.url('/news/plain-article')}>", ts=slack_api.next_ts())
    token = installed(any_app, slack_api, payload)

    send(any_app, payload)

    wait_until_finished(slack_api, CHANNEL, payload["event"]["ts"])
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == payload["event"]["ts"]
    assert {call.token for call in slack_api.calls("chat.postMessage")} == {token}


def test_a_me_message_with_a_link_is_summarized(any_app, slack_api, web_site):
    payload = sdk_event(ME_MESSAGE, outer=WORKSPACE | {"type": "event_callback"},
                        ts=slack_api.next_ts(), channel=CHANNEL, user=PERSON, channel_type="channel",
                        text=f"is reading <{web_site.url('/news/plain-article')}>")
    del payload["event"]["bot_id"], payload["event"]["username"]  # blank in the sample; a person's /me has neither
    payload["authorizations"] = load_sdk_payload(FILE_SHARE)["authorizations"]
    token = installed(any_app, slack_api, payload)

    send(any_app, payload)

    wait_until_finished(slack_api, CHANNEL, payload["event"]["ts"])
    assert [post["thread_ts"] for post in summaries(slack_api)] == [payload["event"]["ts"]]
    assert {call.token for call in slack_api.calls("chat.postMessage")} == {token}


def test_a_bots_mention_is_ignored_like_a_bots_message(any_app, slack_api, web_site):
    bot = sdk_event(BOT_MENTION, outer=WORKSPACE, ts=slack_api.next_ts(), channel=CHANNEL,
                    user="U0OTHERBOT", bot_id="B0OTHERBOT", team=TEAM,
                    text=f"<@U222> <{web_site.url('/news/plain-article')}>")
    bot["event"]["bot_profile"] |= {"id": "B0OTHERBOT", "name": "feeds", "app_id": "A0FEEDS", "team_id": TEAM}
    bot["authorizations"] = load_sdk_payload(FILE_SHARE)["authorizations"]
    person = sdk_event(FILE_SHARE, text=f"<{web_site.url('/news/short-article')}>", ts=slack_api.next_ts())
    installed(any_app, slack_api, person)

    send(any_app, bot)
    send(any_app, person)

    wait_until_finished(slack_api, CHANNEL, person["event"]["ts"])
    assert [post["thread_ts"] for post in summaries(slack_api)] == [person["event"]["ts"]]
    assert slack_api.calls("chat.postEphemeral") == []


def test_app_rate_limited_is_acknowledged_and_logged_for_an_admin(any_app, caplog):
    caplog.set_level(logging.WARNING, logger="bot.app")

    reply = any_app.send.event(load_sdk_payload(RATE_LIMITED))

    assert reply.status_code == 200
    (line,) = [r.getMessage() for r in caplog.records if "rate-limited" in r.getMessage()]
    assert "T123456" in line and "1518467820" in line


def test_an_unsigned_app_rate_limited_is_refused(any_app):
    body = json.dumps(load_sdk_payload(RATE_LIMITED)).encode()
    headers = {"Content-Type": "application/json"} | sign(body, "not-the-signing-secret")

    reply = any_app.send.session.post(any_app.send.url, data=body, headers=headers, timeout=10)

    assert reply.status_code == 401


def test_the_manifest_subscribes_what_the_app_handles_and_lets_people_dm_it():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())

    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"tokens_revoked", "app_uninstalled", "message.im", "reaction_added", "app_mention"} <= events
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert "im:history" in manifest["oauth_config"]["scopes"]["bot"]


def test_the_manifest_passes_slacks_schema_strictly(shared_dir):
    check = subprocess.run(
        [sys.executable, str(shared_dir / "tools" / "check_manifest.py"), "--strict", str(ROOT / "manifest.yml")],
        capture_output=True, text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
