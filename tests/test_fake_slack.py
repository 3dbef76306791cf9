"""The Slack fakes behave like Slack to the real clients: WebClient, Bolt over HTTP, Socket Mode."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import requests
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.webhook import WebhookClient

from tests.fixtures.slack import APP_TOKEN, BOT_TOKEN, CLIENT_ID, CLIENT_SECRET, FakeSlack, Workspace
from tests.fixtures.slack_payloads import (
    SIGNING_SECRET,
    SlackSender,
    command_body,
    command_fields,
    event_body,
    event_payload,
    interaction_body,
    load_payload,
    sign,
)

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "A summary."}}
LINK = "http://127.0.0.1:8000/article?a=1&b=2"


@pytest.fixture
def web(slack_api: FakeSlack) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=slack_api.api_url)


@pytest.fixture
def bolt_app(web: WebClient) -> App:
    return App(client=web, signing_secret=SIGNING_SECRET)


@pytest.fixture
def bolt_http(bolt_app: App) -> Iterator[SlackSender]:
    """The Bolt app behind a loopback WSGI server, and a sender that signs like Slack."""
    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = make_server("127.0.0.1", 0, SlackRequestHandler(bolt_app), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    sender = SlackSender(f"http://127.0.0.1:{server.server_port}")
    yield sender
    sender.close()
    server.shutdown()
    server.server_close()


# -- Web API: recording ------------------------------------------------------------------------------
def test_web_client_post_is_recorded_with_blocks_as_a_list(slack_api, web):
    web.chat_postMessage(channel="C1", text="A summary.", blocks=[SECTION], thread_ts="1663978925.099999")

    assert slack_api.posts() == [{"channel": "C1", "text": "A summary.", "blocks": [SECTION],
                                  "thread_ts": "1663978925.099999"}]


def test_form_encoded_call_is_recorded_without_its_token(slack_api):
    form = {"token": BOT_TOKEN, "channel": "C1", "text": "hi", "blocks": json.dumps([SECTION])}

    reply = requests.post(slack_api.api_url + "chat.postMessage", data=form, timeout=5).json()

    assert reply["ok"] is True
    (call,) = slack_api.calls()
    assert call.args == {"channel": "C1", "text": "hi", "blocks": [SECTION]}
    assert call.token == BOT_TOKEN


def test_posted_messages_get_unique_increasing_ts(web):
    stamps = [web.chat_postMessage(channel="C1", text=str(i))["ts"] for i in range(5)]

    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 5


def test_auth_test_names_the_captured_payloads_bot(web):
    reply = web.auth_test()

    assert (reply["team_id"], reply["user_id"], reply["bot_id"]) == ("T043DB835ML", "U0442US8QGH", "B0439P161B9")


@pytest.mark.parametrize(("token", "error"), [("xoxb-unknown", "invalid_auth"), (None, "not_authed")])
def test_calls_without_a_valid_token_are_refused(slack_api, token, error):
    with pytest.raises(SlackApiError) as refused:
        WebClient(token=token, base_url=slack_api.api_url).auth_test()

    assert refused.value.response["error"] == error


def test_unknown_method_answers_unknown_method(slack_api, web):
    slack_api.expect_invalid("chat.summon")

    with pytest.raises(SlackApiError) as refused:
        web.api_call("chat.summon", params={"channel": "C1"})

    assert refused.value.response["error"] == "unknown_method"


# -- Web API: scripted failures ----------------------------------------------------------------------
def test_scripted_failure_answers_once_then_posting_works_again(slack_api, web):
    slack_api.fail("chat.postMessage", error="not_in_channel")

    with pytest.raises(SlackApiError) as refused:
        web.chat_postMessage(channel="C1", text="hi")
    web.chat_postMessage(channel="C1", text="hi")

    assert refused.value.response["error"] == "not_in_channel"
    assert [c.error for c in slack_api.calls()] == ["not_in_channel", None]


def test_rate_limit_is_a_429_with_retry_after(slack_api, web):
    slack_api.rate_limit("chat.postMessage", retry_after=7)

    with pytest.raises(SlackApiError) as limited:
        web.chat_postMessage(channel="C1", text="hi")

    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"


def test_rate_limit_then_success_with_sdk_retry_handler(slack_api):
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=0)
    client = WebClient(token=BOT_TOKEN, base_url=slack_api.api_url,
                       retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])

    client.chat_postMessage(channel="C1", text="hi")

    assert [c.status for c in slack_api.calls()] == [429, 200]


def test_outage_fails_every_call_until_recovery(slack_api, web):
    slack_api.outage()
    with pytest.raises(SlackApiError):
        web.auth_test()
    slack_api.recover()

    assert web.auth_test()["ok"] is True
    assert [c.status for c in slack_api.calls()] == [503, 200]


def test_archived_channel_refuses_posts(slack_api, web):
    slack_api.add_channel("C1", is_archived=True)

    with pytest.raises(SlackApiError) as refused:
        web.chat_postMessage(channel="C1", text="hi")

    assert refused.value.response["error"] == "is_archived"


def test_revoked_token_is_refused_afterwards(web):
    web.auth_revoke()

    with pytest.raises(SlackApiError) as refused:
        web.auth_test()

    assert refused.value.response["error"] == "token_revoked"


# -- Web API: state --------------------------------------------------------------------------------------
def test_replies_serve_the_thread_from_the_store_in_order(slack_api, web):
    parent = slack_api.add_message("C1", text=f"<{LINK}>")
    first = slack_api.add_message("C1", text="one", thread_ts=parent)
    slack_api.add_message("C1", text="elsewhere")
    posted = web.chat_postMessage(channel="C1", text="summary", thread_ts=parent)["ts"]

    messages = web.conversations_replies(channel="C1", ts=parent)["messages"]

    assert [m["ts"] for m in messages] == [parent, first, posted]
    assert messages[0]["reply_count"] == 2 and messages[2]["bot_id"] == "B0439P161B9"


def test_replies_paginate_with_cursor(slack_api, web):
    parent = slack_api.add_message("C1", text="root")
    for i in range(3):
        slack_api.add_message("C1", text=str(i), thread_ts=parent)

    first = web.conversations_replies(channel="C1", ts=parent, limit=2)
    rest = web.conversations_replies(channel="C1", ts=parent, limit=2,
                                     cursor=first["response_metadata"]["next_cursor"])

    assert [m["text"] for m in first["messages"] + rest["messages"]] == ["root", "0", "1", "2"]
    assert rest["has_more"] is False


def test_replies_of_unknown_thread_is_thread_not_found(web):
    with pytest.raises(SlackApiError) as refused:
        web.conversations_replies(channel="C1", ts="1.000001")

    assert refused.value.response["error"] == "thread_not_found"


def test_chat_update_over_4000_chars_is_msg_too_long(slack_api, web):
    slack_api.expect_invalid("chat.update")
    ts = web.chat_postMessage(channel="C1", text="working on it")["ts"]

    with pytest.raises(SlackApiError) as refused:
        web.chat_update(channel="C1", ts=ts, text="x" * 4001)

    assert refused.value.response["error"] == "msg_too_long"


def test_second_identical_reaction_is_already_reacted(web):
    web.reactions_add(channel="C1", timestamp="1663978925.099999", name="eyes")

    with pytest.raises(SlackApiError) as refused:
        web.reactions_add(channel="C1", timestamp="1663978925.099999", name="eyes")

    assert refused.value.response["error"] == "already_reacted"


def test_oauth_code_buys_one_working_bot_token(slack_api, web):
    other = Workspace(team_id="T0OTHER", team="Other")
    code = slack_api.issue_oauth_code(other)

    installed = web.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code)
    with pytest.raises(SlackApiError) as reused:
        web.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code)

    assert installed["team"]["id"] == "T0OTHER"
    assert WebClient(token=installed["access_token"], base_url=slack_api.api_url).auth_test()["team_id"] == "T0OTHER"
    assert reused.value.response["error"] == "invalid_code"


def test_auth_test_names_the_enterprise_of_a_grid_workspace_and_of_an_org_wide_install(slack_api, web):
    slack_api.add_token("xoxb-grid", Workspace(team_id="T0GRID0001", enterprise_id="E0GRID0001"))
    slack_api.add_token("xoxb-org", Workspace(team_id="E0GRID0001", enterprise_id="E0GRID0001",
                                              is_enterprise_install=True))

    plain = web.auth_test()
    grid = WebClient(token="xoxb-grid", base_url=slack_api.api_url).auth_test()
    org = WebClient(token="xoxb-org", base_url=slack_api.api_url).auth_test()

    assert "enterprise_id" not in plain.data and plain["is_enterprise_install"] is False
    assert (grid["enterprise_id"], grid["team_id"]) == ("E0GRID0001", "T0GRID0001")
    assert grid["is_enterprise_install"] is False
    assert (org["enterprise_id"], org["is_enterprise_install"]) == ("E0GRID0001", True)


def test_connections_open_needs_the_app_token(slack_api, web):
    with pytest.raises(SlackApiError) as refused:
        web.apps_connections_open(app_token=BOT_TOKEN)

    assert web.apps_connections_open(app_token=APP_TOKEN)["url"].startswith("ws://127.0.0.1:")
    assert refused.value.response["error"] == "not_allowed_token_type"


def test_response_url_records_posted_json(slack_api):
    WebhookClient(slack_api.response_url("cmd")).send(text="On it.", response_type="ephemeral")

    assert slack_api.responses("cmd") == [{"text": "On it.", "response_type": "ephemeral"}]


def test_wait_for_sees_calls_made_off_the_test_thread(slack_api, web):
    threading.Timer(0.05, web.chat_postMessage, kwargs={"channel": "C1", "text": "later"}).start()

    (call,) = slack_api.wait_for_calls("chat.postMessage")

    assert call.args["text"] == "later"


def test_wait_for_says_what_slack_saw_when_it_gives_up(slack_api, web):
    web.auth_test()

    with pytest.raises(AssertionError, match="auth.test"):
        slack_api.wait_for_calls("chat.postMessage", timeout=0.1)


# -- the spec check ------------------------------------------------------------------------------------
def test_spec_check_passes_calls_slack_accepts(tmp_path: Path):
    with FakeSlack() as fake:
        WebClient(token=BOT_TOKEN, base_url=fake.api_url).chat_postMessage(channel="C1", text="ok", blocks=[SECTION])

    assert fake.check_recorded_calls(tmp_path / "calls.jsonl") is None


def test_spec_check_reports_an_oversized_section(tmp_path: Path):
    block = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    with FakeSlack() as fake:
        WebClient(token=BOT_TOKEN, base_url=fake.api_url).chat_postMessage(channel="C1", text="t", blocks=[block])

    assert "section text is 3001 chars" in fake.check_recorded_calls(tmp_path / "calls.jsonl")


def test_expect_invalid_exempts_the_named_method(tmp_path: Path):
    with FakeSlack() as fake:
        fake.expect_invalid("chat.postMessage")
        WebClient(token=BOT_TOKEN, base_url=fake.api_url).chat_postMessage(channel="C1", text="x" * 40_001)

    assert fake.check_recorded_calls(tmp_path / "calls.jsonl") is None


# -- payloads and signing ------------------------------------------------------------------------------
def test_sign_reproduces_slacks_worked_example():
    vector = load_payload("slash_command.signing-vector.json")

    headers = sign(vector["body"].encode(), vector["signing_secret"], int(vector["timestamp"]))

    assert headers == vector["headers"]


def test_event_link_override_changes_text_and_rich_text():
    event = json.loads(event_body("event_callback.message.bare_link.json", link=LINK))["event"]

    assert event["text"] == "<http://127.0.0.1:8000/article?a=1&amp;b=2>"
    assert event["blocks"][0]["elements"][0]["elements"] == [{"type": "link", "url": LINK}]


def test_event_text_override_rebuilds_matching_blocks():
    event = event_payload("event_callback.message.bare_link.json", text=f"see <{LINK}|this> <@U1>")["event"]

    assert event["blocks"][0]["elements"][0]["elements"] == [
        {"type": "text", "text": "see "}, {"type": "link", "url": LINK, "text": "this"},
        {"type": "text", "text": " "}, {"type": "user", "user_id": "U1"},
    ]


def test_each_event_gets_a_fresh_event_id():
    first, second = (event_payload("event_callback.message.im.json") for _ in range(2))

    assert first["event_id"] != second["event_id"]


def test_signed_event_reaches_the_bolt_listener(bolt_app, bolt_http):
    seen = []
    bolt_app.event("message")(lambda event: seen.append(event["text"]))

    reply = bolt_http.event(event_body("event_callback.message.bare_link.json", link=LINK))

    assert reply.status_code == 200
    assert seen == ["<http://127.0.0.1:8000/article?a=1&amp;b=2>"]


def test_bolt_refuses_a_request_signed_with_another_secret(bolt_app, bolt_http):
    bolt_http.secret = "not-the-secret"

    assert bolt_http.event(event_body("event_callback.message.im.json")).status_code == 401


def test_signed_command_is_acked_and_answers_on_the_response_url(slack_api, bolt_app, bolt_http):
    @bolt_app.command("/summarize")
    def summarize(ack, respond, command):
        ack()
        respond(f"Summarizing {command['text']}")

    reply = bolt_http.command(command_body(command="/summarize", text=LINK,
                                           response_url=slack_api.response_url("cmd")))

    assert reply.status_code == 200
    assert slack_api.wait_for(lambda: slack_api.responses("cmd"))[0]["text"] == f"Summarizing {LINK}"


def test_signed_interaction_reaches_the_shortcut_listener(slack_api, bolt_app, bolt_http):
    seen = []

    @bolt_app.shortcut("test-shortcut")
    def shortcut(ack, shortcut):
        ack()
        seen.append(shortcut["message"]["blocks"][0]["elements"][0]["elements"][0]["url"])

    body = interaction_body("interactivity.message_action.json", text=f"<{LINK}>",
                            response_url=slack_api.response_url())

    assert bolt_http.interaction(body).status_code == 200
    assert seen == [LINK]


# -- Socket Mode ----------------------------------------------------------------------------------------
def test_sdk_socket_mode_client_receives_hello_then_acks_an_event(slack_api, web):
    client = SocketModeClient(app_token=APP_TOKEN, web_client=web)
    client.socket_mode_request_listeners.append(
        lambda c, req: c.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id)))
    client.connect()
    try:
        envelope_id = slack_api.socket_mode.send_event(event_payload("event_callback.app_mention.docs.json"))
        ack = slack_api.socket_mode.wait_for_ack(envelope_id)
    finally:
        client.close()

    assert ack == {"envelope_id": envelope_id}


def test_bolt_socket_mode_handler_acks_and_replies_in_thread(slack_api, bolt_app):
    bolt_app.event("app_mention")(lambda event, say: say("On it.", thread_ts=event["ts"]))
    handler = SocketModeHandler(bolt_app, APP_TOKEN)
    handler.connect()
    try:
        mention = event_payload("event_callback.app_mention.with_blocks.json", channel="C9", ts="1700000000.000100")
        envelope_id = slack_api.socket_mode.send_event(mention)
        slack_api.socket_mode.wait_for_ack(envelope_id)
        (post,) = slack_api.wait_for_calls("chat.postMessage")
    finally:
        handler.close()

    assert post.args == {"channel": "C9", "text": "On it.", "thread_ts": "1700000000.000100", "team_id": "T111"}


def test_bolt_socket_mode_command_ack_carries_its_response_payload(slack_api, bolt_app):
    bolt_app.command("/summarize")(lambda ack: ack("Working on it."))
    handler = SocketModeHandler(bolt_app, APP_TOKEN)
    handler.connect()
    try:
        fields = command_fields(load_payload("slash_command.docs-example.fields.json"), command="/summarize",
                                response_url=slack_api.response_url())
        ack = slack_api.socket_mode.wait_for_ack(slack_api.socket_mode.send_command(fields))
    finally:
        handler.close()

    assert ack["payload"] == {"text": "Working on it."}
