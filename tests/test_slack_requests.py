"""Only Slack gets in: a request with a wrong or stale signature is refused (401) and no listener runs."""

from __future__ import annotations

import time

import pytest

from tests.fixtures.app import summaries, wait_until_finished
from tests.fixtures.slack_payloads import (
    CHANNEL,
    TEAM,
    SlackSender,
    event_body,
    event_payload,
    load_payload,
    summarize_command,
)

STALE = 5 * 60 + 30  # seconds; Slack's window is five minutes


@pytest.fixture
def impostor(slack_app):
    """Signs with the wrong secret."""
    sender = SlackSender(slack_app.url, secret="not-the-signing-secret")
    yield sender
    sender.close()


def auto_off(slack_api) -> bytes:
    return summarize_command("auto off", response_url=slack_api.response_url())


def test_a_command_with_a_wrong_signature_is_refused_before_any_listener(slack_app, slack_api, impostor):
    response = impostor.command(auto_off(slack_api))

    assert response.status_code == 401
    assert slack_app.ctx.preferences(TEAM, CHANNEL).auto_mode is True  # the listener would have turned it off


def test_a_command_with_a_stale_timestamp_is_refused_before_any_listener(slack_app, slack_api):
    response = slack_app.send.command(auto_off(slack_api), timestamp=int(time.time()) - STALE)

    assert response.status_code == 401
    assert slack_app.ctx.preferences(TEAM, CHANNEL).auto_mode is True


def test_an_unsigned_request_is_refused(slack_app, slack_api, web_site):
    body = event_body("event_callback.message.bare_link.json", link=web_site.url("/news/plain-article"))

    response = slack_app.send.session.post(slack_app.url + "/slack/events", data=body,
                                           headers={"Content-Type": "application/json"})

    assert response.status_code == 401


@pytest.mark.parametrize("forged", ["wrong secret", "stale timestamp"])
def test_a_forged_event_posts_nothing(forged, slack_app, slack_api, web_site, impostor):
    refused = event_payload("event_callback.message.bare_link.json", link=web_site.url("/news/short-article"),
                            ts=slack_api.next_ts())
    if forged == "wrong secret":
        response = impostor.event(refused)
    else:
        response = slack_app.send.event(refused, timestamp=int(time.time()) - STALE)
    assert response.status_code == 401

    genuine = event_payload("event_callback.message.bare_link.json", link=web_site.url("/news/plain-article"),
                            ts=slack_api.next_ts())
    slack_app.send.event(genuine)
    wait_until_finished(slack_api, CHANNEL, genuine["event"]["ts"])
    assert [s["thread_ts"] for s in summaries(slack_api)] == [genuine["event"]["ts"]]
    assert not slack_api.reactions[(CHANNEL, refused["event"]["ts"])]


def test_the_url_verification_challenge_is_answered(slack_app):
    challenge = load_payload("url_verification.json")

    response = slack_app.send.event(challenge)

    assert response.status_code == 200 and challenge["challenge"] in response.text
