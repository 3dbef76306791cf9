"""Many workspaces: with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET the app installs through Slack's OAuth
flow (`/slack/install`, `/slack/oauth_redirect`), keeps each workspace's bot token in its database, answers
each workspace with that workspace's own token, and forgets a workspace that revokes or uninstalls it."""

from __future__ import annotations

import re
import time
import urllib.parse
import uuid

import pytest
import requests
from sqlalchemy import inspect

from bot import oauth
from bot.request import Authorization
from tests.fixtures.app import post_link, summaries, wait_until_finished
from tests.fixtures.slack import BOT_TOKEN, CLIENT_ID, CLIENT_SECRET, Workspace
from tests.fixtures.slack_payloads import event_payload

ACME = Workspace(team_id="T0ACME0001", team="Acme", domain="acme", bot_user_id="U0ACMEBOT1", bot_id="B0ACMEBOT1")
GLOBEX = Workspace(team_id="T0GLOBEX01", team="Globex", domain="globex", bot_user_id="U0GLOBBOT1", bot_id="B0GLOBBOT1")
CHANNEL = "C0NEWS0001"
STATE_COOKIE = "slack-app-oauth-state"


def begin_install(app) -> tuple[requests.Response, str]:
    """Open the install page, as the person installing does; returns it and the OAuth state it set."""
    page = requests.get(f"{app.url}/slack/install", timeout=10, allow_redirects=False)
    cookie = page.headers["Set-Cookie"]
    state = re.search(rf"{STATE_COOKIE}=([^;]+)", cookie).group(1)
    return page, state


def install(app, slack_api, workspace: Workspace) -> requests.Response:
    """The whole flow: install page, Slack's consent screen (a code for ``workspace``), the redirect back."""
    _page, state = begin_install(app)
    code = slack_api.issue_oauth_code(workspace)
    return requests.get(
        f"{app.url}/slack/oauth_redirect",
        params={"code": code, "state": state},
        headers={"Cookie": f"{STATE_COOKIE}={state}"},
        timeout=10,
        allow_redirects=False,
    )


def token_of(slack_api, workspace: Workspace) -> str:
    """The bot token the fake Slack issued to ``workspace`` in oauth.v2.access."""
    (token,) = [token for token, owner in slack_api.tokens.items() if owner == workspace and token != BOT_TOKEN]
    return token


def workspace_event(workspace: Workspace, name: str = "event_callback.message.bare_link.json", **fields) -> dict:
    """A captured event re-addressed to ``workspace``: its team, and its bot in ``authorizations``."""
    payload = event_payload(name, team_id=workspace.team_id, **fields)
    for authorization in payload.get("authorizations", []):
        authorization["user_id"] = workspace.bot_user_id
    return payload


def post_link_in(app, slack_api, workspace: Workspace, url: str) -> dict:
    payload = workspace_event(workspace, link=url, channel=CHANNEL, ts=slack_api.next_ts())
    assert app.send.event(payload).status_code == 200
    return payload["event"]


def lifecycle_event(workspace: Workspace, event: dict) -> dict:
    """``tokens_revoked`` / ``app_uninstalled`` in the Events API envelope Slack documents for them
    (https://docs.slack.dev/reference/events/tokens_revoked, .../app_uninstalled)."""
    return {
        "token": "aaaa",
        "team_id": workspace.team_id,
        "api_app_id": workspace.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": workspace.team_id,
                "user_id": workspace.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def calls_with(slack_api, token: str) -> list:
    return [call for call in slack_api.calls() if call.token == token]


# -- the install flow ----------------------------------------------------------------------------------
def test_the_install_page_links_to_slack_with_a_state_and_the_bot_scopes(oauth_app):
    page, state = begin_install(oauth_app)

    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    (link,) = re.findall(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link.replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID] and query["state"] == [state]
    assert "chat:write" in query["scope"][0].split(",") and "commands" in query["scope"][0].split(",")


def test_the_redirect_exchanges_the_code_and_stores_the_installation(oauth_app, oauth_settings, slack_api):
    finish = install(oauth_app, slack_api, ACME)

    assert finish.status_code == 200
    (exchange,) = slack_api.calls("oauth.v2.access")
    assert exchange.error is None and exchange.token == f"{CLIENT_ID}:{CLIENT_SECRET}"  # HTTP Basic, on the wire
    installations = oauth.installation_store(oauth_settings, oauth_app.ctx.store)
    assert oauth.bot_token(installations, Authorization(team_id=ACME.team_id)) == token_of(slack_api, ACME)


def test_a_redirect_without_the_state_cookie_installs_nothing(oauth_app, slack_api):
    _page, state = begin_install(oauth_app)
    code = slack_api.issue_oauth_code(ACME)

    finish = requests.get(f"{oauth_app.url}/slack/oauth_redirect", params={"code": code, "state": state}, timeout=10)

    assert finish.status_code == 400
    assert slack_api.calls("oauth.v2.access") == []


def test_a_code_slack_does_not_know_installs_nothing(oauth_app, slack_api):
    _page, state = begin_install(oauth_app)

    finish = requests.get(
        f"{oauth_app.url}/slack/oauth_redirect",
        params={"code": "made-up", "state": state},
        headers={"Cookie": f"{STATE_COOKIE}={state}"},
        timeout=10,
    )

    assert finish.status_code >= 400
    assert [call.error for call in slack_api.calls("oauth.v2.access")] == ["invalid_code"]


# -- answering each workspace with its own token -------------------------------------------------------
def test_an_installed_workspace_is_answered_with_its_own_bot_token(oauth_app, slack_api, web_site):
    install(oauth_app, slack_api, ACME)
    acme_token = token_of(slack_api, ACME)

    event = post_link_in(oauth_app, slack_api, ACME, web_site.url("/news/plain-article"))

    wait_until_finished(slack_api, CHANNEL, event["ts"])
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == event["ts"]
    assert {call.token for call in slack_api.calls("chat.postMessage")} == {acme_token}
    assert {call.token for call in slack_api.calls("reactions.add")} == {acme_token}


def test_two_workspaces_are_each_answered_with_their_own_token(oauth_app, slack_api, web_site):
    install(oauth_app, slack_api, ACME)
    install(oauth_app, slack_api, GLOBEX)

    acme = post_link_in(oauth_app, slack_api, ACME, web_site.url("/news/plain-article"))
    globex = post_link_in(oauth_app, slack_api, GLOBEX, web_site.url("/news/plain-article?edition=2"))

    wait_until_finished(slack_api, CHANNEL, acme["ts"])
    wait_until_finished(slack_api, CHANNEL, globex["ts"])
    tokens = {post.args["thread_ts"]: post.token for post in slack_api.calls("chat.postMessage")}
    assert tokens == {acme["ts"]: token_of(slack_api, ACME), globex["ts"]: token_of(slack_api, GLOBEX)}


def test_a_workspace_that_never_installed_is_not_answered(oauth_app, slack_api, web_site):
    install(oauth_app, slack_api, ACME)

    post_link_in(oauth_app, slack_api, GLOBEX, web_site.url("/news/plain-article"))
    later = post_link_in(oauth_app, slack_api, ACME, web_site.url("/news/plain-article?edition=2"))

    wait_until_finished(slack_api, CHANNEL, later["ts"])
    assert [post["thread_ts"] for post in summaries(slack_api)] == [later["ts"]]


def test_settings_and_usage_are_kept_per_workspace(oauth_app, slack_api, web_site):
    install(oauth_app, slack_api, ACME)
    install(oauth_app, slack_api, GLOBEX)
    oauth_app.ctx.store.save_settings(GLOBEX.team_id, "", auto_mode=False)

    post_link_in(oauth_app, slack_api, GLOBEX, web_site.url("/news/plain-article"))
    acme = post_link_in(oauth_app, slack_api, ACME, web_site.url("/news/plain-article"))

    wait_until_finished(slack_api, CHANNEL, acme["ts"])
    assert [post["thread_ts"] for post in summaries(slack_api)] == [acme["ts"]]


def test_the_home_tab_of_an_installed_workspace_is_published_with_its_token(oauth_app, slack_api):
    install(oauth_app, slack_api, ACME)

    oauth_app.send.event(workspace_event(ACME, "event_callback.app_home_opened.json"))

    (publish,) = slack_api.wait_for_calls("views.publish")
    assert publish.error is None and publish.token == token_of(slack_api, ACME)


# -- revocation and uninstall --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "event",
    [
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [ACME.bot_user_id]}},
        {"type": "app_uninstalled"},
    ],
    ids=["tokens_revoked", "app_uninstalled"],
)
def test_a_revoked_or_uninstalled_workspace_is_forgotten(event, oauth_app, slack_api, web_site):
    install(oauth_app, slack_api, ACME)
    install(oauth_app, slack_api, GLOBEX)
    stale = token_of(slack_api, ACME)
    slack_api.revoked.add(stale)  # Slack's side of the revocation

    assert oauth_app.send.event(lifecycle_event(ACME, event)).status_code == 200
    slack_api.wait_for(lambda: _installed_bot(oauth_app, ACME) is None)
    post_link_in(oauth_app, slack_api, ACME, web_site.url("/news/plain-article"))
    globex = post_link_in(oauth_app, slack_api, GLOBEX, web_site.url("/news/plain-article?edition=2"))

    wait_until_finished(slack_api, CHANNEL, globex["ts"])  # the other workspace is still answered
    assert [post["thread_ts"] for post in summaries(slack_api)] == [globex["ts"]]
    assert [call.method for call in calls_with(slack_api, stale)] == ["auth.test"]  # only at install time


def test_a_workspace_can_install_again_after_uninstalling(oauth_app, slack_api, web_site):
    install(oauth_app, slack_api, ACME)
    oauth_app.send.event(lifecycle_event(ACME, {"type": "app_uninstalled"}))
    slack_api.wait_for(lambda: _installed_bot(oauth_app, ACME) is None)

    install(oauth_app, slack_api, ACME)
    event = post_link_in(oauth_app, slack_api, ACME, web_site.url("/news/plain-article"))

    wait_until_finished(slack_api, CHANNEL, event["ts"])
    newest = list(slack_api.tokens)[-1]
    assert {call.token for call in slack_api.calls("chat.postMessage")} == {newest}


def _installed_bot(app, workspace: Workspace):
    return oauth.bot_token(
        oauth.installation_store(app.ctx.settings, app.ctx.store), Authorization(team_id=workspace.team_id)
    )


# -- single-workspace mode -----------------------------------------------------------------------------
def test_without_oauth_settings_there_is_no_install_page(slack_app):
    assert requests.get(f"{slack_app.url}/slack/install", timeout=10).status_code == 404


def test_without_oauth_settings_the_single_bot_token_answers(slack_app, slack_api, web_site):
    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"))

    wait_until_finished(slack_api, event["channel"], event["ts"])
    assert {call.token for call in slack_api.calls()} == {BOT_TOKEN}
    assert not inspect(slack_app.ctx.store.engine).has_table("slack_installations")
