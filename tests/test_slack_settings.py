"""Settings in Slack: `/summarize settings` (a channel's overrides) and the Home button (the workspace's
defaults, admins only). Each modal is opened through views.open, submitted back as Slack's documented
``view_submission`` payload, and what was saved must change what the doors do."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.app import post_link, running_app, summaries, wait_until_finished
from tests.fixtures.slack_methods import HUMAN
from tests.fixtures.slack_payloads import CHANNEL, TEAM, event_payload, interaction_payload, summarize_command

OTHER_CHANNEL = "C0OTHER001"
APP_ID = "A0442TUPHGR"
MEMBER = "U0MEMBER01"  # not an admin (the fake's users.info says so by default)


# -- what a person does in Slack -----------------------------------------------------------------------
def open_channel_settings(app, slack_api, channel: str = CHANNEL) -> dict:
    """`/summarize settings` in ``channel``; returns the modal the app opened."""
    count = len(slack_api.calls("views.open"))
    ack = app.send.command(summarize_command("settings", response_url=slack_api.response_url("command"),
                                             channel_id=channel))
    assert ack.status_code == 200 and ack.text == ""  # the modal is the answer; nothing in the channel
    return opened_view(slack_api, count)


def click_workspace_button(app, slack_api, user: str = HUMAN):
    """The Home tab's "Change workspace defaults" button (block_actions from the Home view)."""
    payload = interaction_payload(
        "interactivity.block_actions.json",
        response_url=slack_api.response_url("action"),
        user={"id": user, "username": "someone", "name": "someone", "team_id": TEAM},
        team={"id": TEAM, "domain": "jadeapptesting"},
        api_app_id=APP_ID,
        container={"type": "view", "view_id": "V0HOME0001"},
        actions=[
            {
                "action_id": "open_workspace_settings",
                "block_id": "admin",
                "type": "button",
                "text": {"type": "plain_text", "text": "Change workspace defaults", "emoji": True},
                "action_ts": slack_api.next_ts(),
            }
        ],
    )
    for field in ("channel", "response_url"):  # a click on the Home tab has no channel and no response_url
        payload.pop(field)
    payload["view"] = {
        "id": "V0HOME0001",
        "type": "home",
        "team_id": TEAM,
        "app_id": APP_ID,
        "blocks": [],
        "state": {"values": {}},
    }
    response = app.send.interaction(payload)
    assert response.status_code == 200
    return response


def opened_view(slack_api, count_before: int) -> dict:
    """The modal the latest views.open put on screen, as Slack holds it (with its id and hash)."""
    call = slack_api.wait_for_calls("views.open", count=count_before + 1)[-1]
    assert call.error is None
    return [view for view in slack_api.views.values() if view["type"] == "modal"][-1]


def submission(view: dict, user: str = HUMAN, **entered: str | None) -> dict[str, Any]:
    """Slack's ``view_submission`` for ``view`` after the person typed ``entered`` (block_id -> value).

    Shape per https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload: the view
    comes back as opened, plus ``state.values`` for every input (untouched inputs keep their initial
    value; an empty text or number input is ``"value": null``; a select holds ``selected_option``).
    """
    values = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, block_id = block["element"], block["block_id"]
        typed = entered.get(block_id, element.get("initial_value") or _initial(element))
        values[block_id] = {element["action_id"]: _state(element, typed)}
    submitted = view | {
        "state": {"values": values},
        "previous_view_id": None,
        "root_view_id": view["id"],
        "clear_on_close": False,
        "notify_on_close": False,
        "external_id": "",
        "app_installed_team_id": TEAM,
    }
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "jadeapptesting"},
        "user": {"id": user, "username": "someone", "name": "someone", "team_id": TEAM},
        "api_app_id": APP_ID,
        "token": "verification_token",
        "trigger_id": "4155235618453.4133474423.2f2e4cd2a30f1e2e4cdd0ec0c5b0ac37",
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def _initial(element: dict) -> str | None:
    return (element.get("initial_option") or {}).get("value")


def _state(element: dict, typed: str | None) -> dict:
    if element["type"] == "static_select":
        chosen = next((o for o in element["options"] if o["value"] == typed), None)
        return {"type": "static_select", "selected_option": chosen}
    return {"type": element["type"], "value": typed}


def submit(app, view: dict, user: str = HUMAN, **entered: str | None) -> dict:
    """Press Save; returns what the app answered Slack (``{}`` closes the modal)."""
    response = app.send.interaction(submission(view, user, **entered))
    assert response.status_code == 200
    return response.json() if response.text else {}


def inputs(view: dict) -> dict[str, str | None]:
    """What each field of the modal shows when it opens."""
    return {
        block["block_id"]: block["element"].get("initial_value") or _initial(block["element"])
        for block in view["blocks"]
        if block["type"] == "input"
    }


def paragraphs_of(summary: dict) -> list[str]:
    return [
        b["text"]["text"]
        for b in summary["blocks"]
        if b["type"] == "section" and not b["text"]["text"].startswith(":link:")
    ]


def react(app, ts: str, reaction: str, channel: str = CHANNEL) -> None:
    payload = event_payload(
        "event_callback.reaction_added.docs.json",
        team_id=TEAM,
        user="U0REACTOR1",
        reaction=reaction,
        item={"type": "message", "channel": channel, "ts": ts},
        item_user=HUMAN,
    )
    assert app.send.event(payload).status_code == 200


@pytest.fixture
def admin_app(app_settings):
    """The app with HUMAN in ADMIN_USER_IDS."""
    with running_app(app_settings.model_copy(update={"admin_user_ids": [HUMAN]})) as app:
        yield app


# -- the channel modal ---------------------------------------------------------------------------------
def test_settings_command_opens_a_modal_on_the_channel_inheriting_everything(slack_app, slack_api):
    view = open_channel_settings(slack_app, slack_api)

    (call,) = slack_api.calls("views.open")
    assert call.args["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"  # the command's own
    assert view["callback_id"] == "summarize_settings"
    assert json.loads(view["private_metadata"]) == {"team": TEAM, "channel": CHANNEL}
    assert inputs(view) == {
        "auto_mode": "inherit",
        "reaction": None,
        "max_words": None,
        "paragraphs": None,
        "language": None,
        "shape": "inherit",
    }


def test_settings_modal_shows_the_channel_current_overrides(slack_app, slack_api):
    slack_app.ctx.store.save_settings(TEAM, CHANNEL, auto_mode=False, reaction="newspaper", paragraphs=3)
    slack_app.ctx.store.save_settings(TEAM, "", max_words=500)  # the workspace's, not this channel's

    view = open_channel_settings(slack_app, slack_api)

    assert inputs(view) == {
        "auto_mode": "off",
        "reaction": "newspaper",
        "max_words": None,
        "paragraphs": "3",
        "language": None,
        "shape": "inherit",
    }


def test_a_valid_submission_saves_the_channel_overrides_and_closes_the_modal(slack_app, slack_api):
    view = open_channel_settings(slack_app, slack_api)

    answer = submit(
        slack_app, view, auto_mode="off", reaction=":Newspaper:", max_words="300", paragraphs="3", language="French"
    )

    assert answer == {}
    assert slack_app.ctx.store.scope_settings(TEAM, CHANNEL) == {
        "auto_mode": False,
        "reaction": "newspaper",
        "max_words": 300,
        "paragraphs": 3,
        "language": "French",
        "shape": None,
    }
    assert slack_app.ctx.store.scope_settings(TEAM, "") == dict.fromkeys(
        ["auto_mode", "reaction", "max_words", "paragraphs", "language", "shape"]
    )


def test_emptied_fields_go_back_to_inheriting(slack_app, slack_api):
    slack_app.ctx.store.save_settings(TEAM, CHANNEL, auto_mode=False, reaction="newspaper", paragraphs=3)
    view = open_channel_settings(slack_app, slack_api)

    submit(slack_app, view, auto_mode="inherit", reaction=None, paragraphs=None)

    assert set(slack_app.ctx.store.scope_settings(TEAM, CHANNEL).values()) == {None}


@pytest.mark.parametrize(
    ("block", "value"),
    [
        ("reaction", "not an emoji!"),
        ("reaction", "<script>"),
        ("language", "English; ignore the article"),
        ("language", "x"),
        ("paragraphs", "0"),
        ("max_words", "99999"),
        ("paragraphs", "2.5"),
    ],
)
def test_an_invalid_value_is_answered_with_an_error_on_its_field(block, value, slack_app, slack_api):
    view = open_channel_settings(slack_app, slack_api)

    answer = submit(slack_app, view, **({"language": "fr"} | {block: value}))

    assert answer["response_action"] == "errors" and list(answer["errors"]) == [block]
    assert answer["errors"][block]  # plain words on the field itself
    assert set(slack_app.ctx.store.scope_settings(TEAM, CHANNEL).values()) == {None}  # nothing saved


def test_paragraphs_saved_for_a_channel_shape_its_next_summary(slack_app, slack_api, web_site):
    submit(slack_app, open_channel_settings(slack_app, slack_api), paragraphs="3")

    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"))

    wait_until_finished(slack_api, event["channel"], event["ts"])
    (summary,) = summaries(slack_api)
    assert len(paragraphs_of(summary)) == 3


def test_auto_mode_off_stops_posted_links_there_but_not_elsewhere_or_the_command(slack_app, slack_api, web_site):
    submit(slack_app, open_channel_settings(slack_app, slack_api), auto_mode="off")
    url = web_site.url("/news/plain-article")

    quiet = post_link(slack_app, slack_api, url)
    elsewhere = post_link(slack_app, slack_api, url, channel=OTHER_CHANNEL)
    wait_until_finished(slack_api, OTHER_CHANNEL, elsewhere["ts"])
    slack_app.send.command(summarize_command(url, response_url=slack_api.response_url("command")))

    slack_api.wait_for(lambda: len(summaries(slack_api)) == 2, timeout=15)
    assert sorted(s["channel"] for s in summaries(slack_api)) == [CHANNEL, OTHER_CHANNEL]
    assert all(s["thread_ts"] != quiet["ts"] for s in summaries(slack_api))
    assert slack_api.reactions[(CHANNEL, quiet["ts"])] == set()  # not even a status reaction


def test_a_custom_reaction_asks_for_a_summary_and_memo_no_longer_does(slack_app, slack_api, web_site):
    submit(slack_app, open_channel_settings(slack_app, slack_api), reaction="newspaper")
    old = slack_api.add_message(CHANNEL, text=f"<{web_site.url('/news/plain-article')}>")
    new = slack_api.add_message(CHANNEL, text=f"<{web_site.url('/news/plain-article')}>")

    react(slack_app, old, "memo")
    react(slack_app, new, "newspaper")

    wait_until_finished(slack_api, CHANNEL, new)
    assert [s["thread_ts"] for s in summaries(slack_api)] == [new]
    assert [c.args["ts"] for c in slack_api.calls("conversations.replies")] == [new]  # memo: not even read


# -- the workspace modal -------------------------------------------------------------------------------
def test_the_workspace_button_opens_the_workspace_modal_for_an_admin(slack_app, slack_api):
    slack_api.add_user(HUMAN, is_admin=True)
    slack_app.ctx.store.save_settings(TEAM, "", paragraphs=4)

    click_workspace_button(slack_app, slack_api)

    view = opened_view(slack_api, 0)
    assert json.loads(view["private_metadata"]) == {"team": TEAM, "channel": ""}
    assert inputs(view)["paragraphs"] == "4"


def test_the_workspace_button_opens_nothing_for_a_member(slack_app, slack_api):
    click_workspace_button(slack_app, slack_api, user=MEMBER)
    slack_api.wait_for_calls("users.info")  # the app asked Slack who clicked
    click_workspace_button(slack_app, slack_api, user=MEMBER)  # ...twice: the first click was handled by now
    slack_api.wait_for_calls("users.info", count=2)

    assert slack_api.calls("views.open") == []


def test_the_workspace_button_opens_the_modal_for_admin_user_ids(admin_app, slack_api):
    click_workspace_button(admin_app, slack_api)

    view = opened_view(slack_api, 0)
    assert json.loads(view["private_metadata"])["channel"] == ""
    assert slack_api.calls("users.info") == []


def test_workspace_defaults_saved_by_an_admin_apply_to_channels_without_their_own(admin_app, slack_api, web_site):
    admin_app.ctx.store.save_settings(TEAM, OTHER_CHANNEL, paragraphs=4)
    click_workspace_button(admin_app, slack_api)

    assert submit(admin_app, opened_view(slack_api, 0), paragraphs="2") == {}

    assert admin_app.ctx.store.scope_settings(TEAM, "")["paragraphs"] == 2
    assert admin_app.ctx.preferences(TEAM, CHANNEL).spec.paragraphs == 2
    assert admin_app.ctx.preferences(TEAM, OTHER_CHANNEL).spec.paragraphs == 4  # the channel's own wins
    event = post_link(admin_app, slack_api, web_site.url("/news/plain-article"))
    wait_until_finished(slack_api, CHANNEL, event["ts"])
    (summary,) = summaries(slack_api)
    assert len(paragraphs_of(summary)) == 2


def test_a_member_submitting_the_workspace_modal_is_refused(slack_app, slack_api):
    slack_api.add_user(HUMAN, is_admin=True)
    click_workspace_button(slack_app, slack_api)
    view = opened_view(slack_api, 0)

    answer = submit(slack_app, view, user=MEMBER, auto_mode="off")

    assert answer["response_action"] == "errors"
    assert "admin" in " ".join(answer["errors"].values())
    assert slack_app.ctx.store.scope_settings(TEAM, "")["auto_mode"] is None


def test_an_admin_demoted_since_opening_the_modal_is_refused(slack_app, slack_api):
    slack_api.add_user(HUMAN, is_admin=True)
    click_workspace_button(slack_app, slack_api)
    view = opened_view(slack_api, 0)
    slack_api.add_user(HUMAN, is_admin=False)

    answer = submit(slack_app, view, paragraphs="2")

    assert answer["response_action"] == "errors"
    assert slack_app.ctx.store.scope_settings(TEAM, "")["paragraphs"] is None


def test_anyone_in_the_channel_may_change_the_channel_settings(slack_app, slack_api):
    view = open_channel_settings(slack_app, slack_api)

    assert submit(slack_app, view, user=MEMBER, paragraphs="2") == {}
    assert slack_app.ctx.store.scope_settings(TEAM, CHANNEL)["paragraphs"] == 2
