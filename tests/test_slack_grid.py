"""Enterprise Grid, org-wide installs and Slack Connect (in OAuth mode, and with one token where that applies): the
worker answers with the token of the installation Bolt authorized the request with, found by the same keys; when
there is none, an admin reads why."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from bot.request import Authorization, SummaryRequest
from bot.spec import SummarySpec
from bot.store import RequestRow, Status
from tests.fixtures.app import summaries, wait_until_finished
from tests.fixtures.installations import installed, seed_installation
from tests.fixtures.slack_payloads import sdk_event

ORG_MESSAGE = "bolt-python.message.org_wide_install.json"  # E111, authorizations: org-wide, no team
ORG_UNINSTALLED = "bolt-python.app_uninstalled.org_wide.json"
GRID_MENTION = "bolt-python.app_mention.grid_workspace.json"  # E_INSTALLED / T_INSTALLED, bot W111
CONNECT_REACTION = "bolt-python.reaction_added.slack_connect.json"  # sent from E_SOURCE, installed in E_INSTALLED
CHANNEL = "C111"


def test_an_org_wide_install_answers_a_message_in_any_of_its_workspaces(any_app, slack_api, web_site):
    payload = sdk_event(ORG_MESSAGE, text=f"<{web_site.url('/news/plain-article')}>", ts=slack_api.next_ts())
    org = installed(any_app, slack_api, payload)  # OAuth: enterprise E111, no team, is_enterprise_install

    assert any_app.send.event(payload).status_code == 200

    wait_until_finished(slack_api, CHANNEL, payload["event"]["ts"])
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == payload["event"]["ts"]
    assert {call.token for call in slack_api.calls() if call.method != "auth.test"} == {org}


def test_a_grid_workspace_install_is_told_from_another_orgs_workspace_with_the_same_team_id(
    oauth_app, slack_api, web_site
):
    ours = seed_installation(oauth_app, slack_api, enterprise_id="E_INSTALLED", team_id="T_INSTALLED",
                             bot_user_id="W111")
    seed_installation(oauth_app, slack_api, enterprise_id="E_ELSEWHERE", team_id="T_INSTALLED", bot_user_id="W999")
    payload = sdk_event(GRID_MENTION, text=f"<@W111> <{web_site.url('/news/plain-article')}>", ts=slack_api.next_ts())

    assert oauth_app.send.event(payload).status_code == 200

    wait_until_finished(slack_api, CHANNEL, payload["event"]["ts"])
    assert [post["thread_ts"] for post in summaries(slack_api)] == [payload["event"]["ts"]]
    assert {call.token for call in slack_api.calls("chat.postMessage")} == {ours}


def test_a_reaction_in_a_slack_connect_channel_is_answered_by_the_apps_own_installation(
    any_app, slack_api, web_site
):
    shared = slack_api.add_message(CHANNEL, text=f"from our partners <{web_site.url('/news/plain-article')}>",
                                   user="W0PARTNER1")
    payload = sdk_event(CONNECT_REACTION, reaction="memo", item={"type": "message", "channel": CHANNEL, "ts": shared},
                        user="W0REACTOR1")
    ours = installed(any_app, slack_api, payload)  # OAuth: E_INSTALLED / T_INSTALLED, not the sender's org

    assert any_app.send.event(payload).status_code == 200

    wait_until_finished(slack_api, CHANNEL, shared)
    assert [post["thread_ts"] for post in summaries(slack_api)] == [shared]
    assert {call.token for call in slack_api.calls() if call.method != "auth.test"} == {ours}


def test_an_uninstalled_org_is_no_longer_answered(oauth_app, slack_api, web_site):
    seed_installation(oauth_app, slack_api, enterprise_id="E111", is_enterprise_install=True, bot_user_id="W222")
    assert oauth_app.send.event(sdk_event(ORG_UNINSTALLED)).status_code == 200
    slack_api.wait_for(lambda: oauth_app.ctx.installations.find_bot(
        enterprise_id="E111", team_id=None, is_enterprise_install=True) is None)

    seed_installation(oauth_app, slack_api, enterprise_id="E_INSTALLED", team_id="T_INSTALLED", bot_user_id="W111")

    gone = sdk_event(ORG_MESSAGE, text=f"<{web_site.url('/news/plain-article')}>", ts=slack_api.next_ts())
    oauth_app.send.event(gone)
    still = sdk_event(GRID_MENTION, text=f"<@W111> <{web_site.url('/news/plain-article')}>", ts=slack_api.next_ts())
    oauth_app.send.event(still)

    wait_until_finished(slack_api, CHANNEL, still["event"]["ts"])
    assert [post["thread_ts"] for post in summaries(slack_api)] == [still["event"]["ts"]]
    with oauth_app.ctx.store.engine.connect() as db:  # the uninstalled org's message was never queued
        assert db.execute(select(func.count()).select_from(RequestRow)).scalar() == 1


def test_a_request_no_installation_answers_is_logged_for_an_admin_and_closed(oauth_app, slack_api, caplog):
    caplog.set_level(logging.ERROR)
    request = SummaryRequest(
        url="http://127.0.0.1:9/never-fetched", team_id="T0GONE0001", channel=CHANNEL, user="U0ASKER001",
        door="message", thread_ts="1700000000.000100", source_ts="1700000000.000100",
        auth=Authorization(enterprise_id="E0GONE0001", team_id="T0GONE0001"),
    )

    oauth_app.ctx.queue.submit(request)

    slack_api.wait_for(lambda: (p := oauth_app.ctx.store.progress(request.key)) and p.status == Status.FAILED)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "enterprise_id=E0GONE0001 team_id=T0GONE0001 is_enterprise_install=False" in logged
    assert slack_api.calls("chat.postMessage") == []  # there is no token to post with


def test_a_command_no_installation_answers_is_told_so_through_its_response_url(oauth_app, slack_api):
    request = SummaryRequest(
        url="http://127.0.0.1:9/never-fetched", team_id="T0GONE0001", channel=CHANNEL, user="U0ASKER001",
        door="command", response_url=slack_api.response_url("gone"),
        auth=Authorization(enterprise_id="E0GONE0001", team_id="T0GONE0001"),
    )

    oauth_app.ctx.queue.submit(request)

    slack_api.wait_for(lambda: slack_api.responses("gone"))
    (answer,) = slack_api.responses("gone")
    assert answer["response_type"] == "ephemeral" and "installation for this workspace was not found" in answer["text"]
    assert slack_api.calls("chat.postMessage") == []


def test_a_request_queued_before_requests_carried_their_authorization_is_read():
    old = {"url": "https://example.com/a", "team_id": "T1", "channel": "C1", "user": "U1", "door": "message",
           "spec": {"max_words": 200, "paragraphs": 2, "language": None, "source_ratio": 0.5},
           "thread_ts": "1.1", "source_ts": "1.1", "response_url": None, "event_id": "Ev1"}

    request = SummaryRequest.from_dict(old)

    assert request.authorization == Authorization(team_id="T1")
    assert SummaryRequest.from_dict(request.to_dict()) == request
    assert request.spec == SummarySpec(max_words=200, paragraphs=2, source_ratio=0.5)

