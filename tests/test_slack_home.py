"""The App Home tab: the workspace's defaults, its usage, and the admin-only button to change the defaults."""

from __future__ import annotations

from bot.request import SummaryRequest
from bot.summarizers.base import Usage
from tests.fixtures.app import post_link, running_app, wait_until_finished
from tests.fixtures.slack_methods import HUMAN
from tests.fixtures.slack_payloads import event_payload

TEAM = "T043DB835ML"  # the captured payloads' workspace
HOME_TAB = "event_callback.app_home_opened.json"
MESSAGES_TAB = "event_callback.app_home_opened.messages_tab.json"
ADMIN_BUTTON = "open_workspace_settings"


def open_home(app, slack_api, user: str = HUMAN) -> dict:
    """The person opens the app's Home tab; returns the view the app published for them."""
    count = len(slack_api.calls("views.publish"))
    assert app.send.event(event_payload(HOME_TAB, user=user)).status_code == 200
    call = slack_api.wait_for_calls("views.publish", count=count + 1)[-1]
    assert call.error is None and call.args["user_id"] == user
    return call.args["view"]


def text_of(view: dict) -> str:
    """Every piece of text the person sees on the tab, one block per line."""
    parts = []
    for block in view["blocks"]:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts += [element["text"] for element in block.get("elements", []) if element.get("type") == "mrkdwn"]
    return "\n".join(parts)


def action_ids(view: dict) -> list[str]:
    return [
        element["action_id"] for block in view["blocks"] if block["type"] == "actions" for element in block["elements"]
    ]


def usage_line(view: dict, label: str) -> str:
    (line,) = [line for line in text_of(view).splitlines() if line.startswith(label)]
    return line


def test_home_shows_the_app_defaults_when_the_workspace_has_none(slack_app, slack_api):
    view = open_home(slack_app, slack_api)

    assert view["type"] == "home"
    text = text_of(view)
    assert "*Automatic summaries of posted links:* on" in text
    assert "*Reaction that asks for a summary:* :memo:" in text
    assert "at most 2,000 words in 6 paragraphs" in text


def test_home_shows_the_workspace_defaults_once_saved(slack_app, slack_api):
    slack_app.ctx.store.save_settings(
        TEAM, "", auto_mode=False, reaction="newspaper", paragraphs=3, max_words=400, language="fr"
    )

    text = text_of(open_home(slack_app, slack_api))

    assert "*Automatic summaries of posted links:* off" in text
    assert "*Reaction that asks for a summary:* :newspaper:" in text
    assert "at most 400 words in 3 paragraphs" in text
    assert "*Language:* fr" in text


def test_home_help_names_the_workspace_reaction_and_length(slack_app, slack_api):
    slack_app.ctx.store.save_settings(TEAM, "", reaction="newspaper", paragraphs=3, max_words=400)

    text = text_of(open_home(slack_app, slack_api))

    assert "React with :newspaper:" in text and ":memo:" not in text
    assert "at most 400 words in 3 paragraphs" in text and "6 paragraphs" not in text


def test_a_channel_override_does_not_change_the_workspace_defaults_shown(slack_app, slack_api):
    slack_app.ctx.store.save_settings(TEAM, "C043YJGBY49", paragraphs=2, auto_mode=False)

    text = text_of(open_home(slack_app, slack_api))

    assert "*Automatic summaries of posted links:* on" in text and "in 6 paragraphs" in text


def test_home_usage_is_zero_before_any_summary(slack_app, slack_api):
    view = open_home(slack_app, slack_api)

    assert usage_line(view, "Today (UTC), this workspace").startswith("Today (UTC), this workspace: 0 summaries")
    assert usage_line(view, "Last 30 days, you").startswith("Last 30 days, you: 0 summaries")


def test_home_counts_a_summary_made_in_the_workspace(slack_app, slack_api, web_site):
    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"))
    wait_until_finished(slack_api, event["channel"], event["ts"])

    view = open_home(slack_app, slack_api)

    assert usage_line(view, "Today (UTC), this workspace").startswith("Today (UTC), this workspace: 1 summary")
    assert usage_line(view, "Last 30 days, this workspace").startswith("Last 30 days, this workspace: 1 summary")
    assert usage_line(view, "Last 30 days, you").startswith("Last 30 days, you: 1 summary")  # HUMAN posted it


def test_home_counts_only_the_viewer_own_summaries_on_their_line(slack_app, slack_api, web_site):
    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"))
    wait_until_finished(slack_api, event["channel"], event["ts"])

    view = open_home(slack_app, slack_api, user="U0SOMEONE2")

    assert usage_line(view, "Last 30 days, this workspace").startswith("Last 30 days, this workspace: 1 summary")
    assert usage_line(view, "Last 30 days, you").startswith("Last 30 days, you: 0 summaries")


def test_home_shows_token_totals_recorded_for_the_workspace(slack_app, slack_api):
    asked = SummaryRequest(url="https://example.com/a", team_id=TEAM, channel="C1", user=HUMAN, door="command")
    slack_app.ctx.store.record_usage(asked, "openai", "gpt-4.1-mini", Usage(1200, 300, 1), cost_usd=0.25)
    elsewhere = SummaryRequest(url="https://example.com/a", team_id="T0OTHER", channel="C1", user=HUMAN, door="command")
    slack_app.ctx.store.record_usage(elsewhere, "openai", "gpt-4.1-mini", Usage(9000, 9000, 1), cost_usd=9.0)

    line = usage_line(open_home(slack_app, slack_api), "Today (UTC), this workspace")

    assert line == "Today (UTC), this workspace: 1 summary, 1,500 tokens (1,200 in, 300 out), about $0.25"


def test_the_admin_button_shows_for_a_workspace_admin(slack_app, slack_api):
    slack_api.add_user(HUMAN, is_admin=True)

    assert action_ids(open_home(slack_app, slack_api)) == [ADMIN_BUTTON]


def test_the_admin_button_shows_for_a_workspace_owner(slack_app, slack_api):
    slack_api.add_user(HUMAN, is_owner=True)

    assert action_ids(open_home(slack_app, slack_api)) == [ADMIN_BUTTON]


def test_the_admin_button_is_hidden_from_other_members(slack_app, slack_api):
    slack_api.add_user(HUMAN, is_admin=False, is_owner=False, is_primary_owner=False)

    view = open_home(slack_app, slack_api)

    assert action_ids(view) == []
    assert [c.args["user"] for c in slack_api.calls("users.info")] == [HUMAN]


def test_the_admin_button_shows_for_admin_user_ids(app_settings, slack_api):
    with running_app(app_settings.model_copy(update={"admin_user_ids": [HUMAN]})) as app:
        view = open_home(app, slack_api)

    assert action_ids(view) == [ADMIN_BUTTON]
    assert slack_api.calls("users.info") == []  # no need to ask Slack


def test_the_admin_button_is_hidden_when_slack_cannot_say_who_is_admin(slack_app, slack_api):
    slack_api.fail("users.info", "user_not_found")

    assert action_ids(open_home(slack_app, slack_api)) == []


def test_opening_the_messages_tab_publishes_nothing(slack_app, slack_api):
    assert slack_app.send.event(event_payload(MESSAGES_TAB)).status_code == 200
    open_home(slack_app, slack_api)  # a later Home open is answered, so the first event was handled by now

    assert len(slack_api.calls("views.publish")) == 1
