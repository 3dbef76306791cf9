"""Settings in Slack: the modal behind `/summarize settings` (a channel's overrides) and behind the
Home tab's button (the workspace's defaults, for admins and ADMIN_USER_IDS only)."""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.render import escape_mrkdwn
from bot.spec import SHAPES
from handlers.common import LIMITS

if TYPE_CHECKING:
    from bot.app import AppContext

log = logging.getLogger(__name__)

CALLBACK_ID = "summarize_settings"
OPEN_WORKSPACE_SETTINGS = "open_workspace_settings"
EMOJI = re.compile(r"^[a-z0-9_+'-]{1,60}$")
LANGUAGE = re.compile(r"^[\w -]{2,32}$")
INHERIT, ON, OFF = "inherit", "on", "off"
NUMBER_LIMITS = {"max_words": LIMITS["words"], "paragraphs": LIMITS["paragraphs"]}  # as `/summarize words=N`


def register(app: App, ctx: AppContext) -> None:
    @app.action(OPEN_WORKSPACE_SETTINGS)
    def on_open_workspace_settings(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        team, user = body["team"]["id"], body["user"]["id"]
        if is_admin(ctx, client, user):
            open_settings(ctx, client, body["trigger_id"], team, channel="")

    @app.view(CALLBACK_ID)
    def on_submit(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        values, errors = read_values(view["state"]["values"])
        if meta.get("channel") == "" and not is_admin(ctx, client, body["user"]["id"]):
            errors["auto_mode"] = "Only workspace admins can change the workspace's defaults."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ctx.store.save_settings(meta["team"], meta["channel"], **values)
        ack()  # after saving: once the modal closes, the next summary must see the new settings


def is_admin(ctx: AppContext, client: WebClient, user: str) -> bool:
    if user in ctx.settings.admin_user_ids:
        return True
    try:
        profile = client.users_info(user=user)["user"]
    except SlackApiError as exc:
        log.info("cannot tell whether %s is an admin: %s", user, exc.response.get("error"))
        return False
    return any(profile.get(flag) for flag in ("is_admin", "is_owner", "is_primary_owner"))


def open_settings(ctx: AppContext, client: WebClient, trigger_id: str, team: str, channel: str) -> None:
    """Open the modal on a channel's overrides, or on the workspace's defaults when channel is ""."""
    current = ctx.store.scope_settings(team, channel)
    try:
        client.views_open(trigger_id=trigger_id, view=settings_view(team, channel, current))
    except SlackApiError as exc:
        log.info("could not open the settings modal: %s", exc.response.get("error"))


def settings_view(team: str, channel: str, current: dict) -> dict:
    where = f"<#{channel}>" if channel else "the whole workspace (every channel without its own setting)"
    auto = INHERIT if current["auto_mode"] is None else (ON if current["auto_mode"] else OFF)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"team": team, "channel": channel}),
        "title": {"type": "plain_text", "text": "Summarizer settings"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"Settings for {where}. Empty fields inherit."}},
            _select("auto_mode", "Summarize posted links automatically", auto),
            _text("reaction", "Reaction that asks for a summary (emoji name)", current["reaction"]),
            _number("max_words", "Most words in a summary", current["max_words"]),
            _number("paragraphs", "Paragraphs in a summary", current["paragraphs"]),
            _text(
                "language", "Write summaries in (e.g. English, fr); empty: the article's language", current["language"]
            ),
            _shape_select(current.get("shape")),
        ],
    }


def read_values(state: dict) -> tuple[dict, dict]:
    """The submitted form as store values (None = inherit), and per-field errors in plain words."""

    def value(block: str) -> str | None:
        field = state.get(block, {}).get(block, {})
        raw = (field.get("selected_option") or {}).get("value") if "selected_option" in field else field.get("value")
        return raw.strip() if isinstance(raw, str) and raw.strip() else None

    errors: dict[str, str] = {}
    auto = value("auto_mode")
    reaction = value("reaction")
    if reaction:
        reaction = reaction.strip(":").lower()
        if not EMOJI.match(reaction):
            errors["reaction"] = "Use an emoji's name, like memo or newspaper."
    language = value("language")
    if language and not LANGUAGE.match(language):
        errors["language"] = "Use a language name or code, like English or fr."
    values = {
        "auto_mode": None if auto in (None, INHERIT) else auto == ON,
        "reaction": reaction,
        "max_words": _int(value("max_words"), "max_words", errors),
        "paragraphs": _int(value("paragraphs"), "paragraphs", errors),
        "language": language,
        "shape": _shape_value(value("shape")),
    }
    return values, errors


def _int(raw: str | None, block: str, errors: dict[str, str]) -> int | None:
    """Slack's number input enforces the bounds in the client; the server checks again before saving."""
    low, high = NUMBER_LIMITS[block]
    if raw is None:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors[block] = f"Use a whole number from {low} to {high}."
        return None
    return int(raw)


def _select(block: str, label: str, initial: str) -> dict:
    options = [
        _option(INHERIT, "Inherit"),
        _option(ON, "On"),
        _option(OFF, "Off"),
    ]
    element = {"type": "static_select", "action_id": block, "options": options}
    element["initial_option"] = next(o for o in options if o["value"] == initial)
    return {"type": "input", "block_id": block, "label": _plain(label), "element": element, "optional": True}


def _text(block: str, label: str, initial: str | None) -> dict:
    element = {"type": "plain_text_input", "action_id": block, "max_length": 60}
    if initial:
        element["initial_value"] = initial
    return {"type": "input", "block_id": block, "label": _plain(label), "element": element, "optional": True}


def _number(block: str, label: str, initial: int | None) -> dict:
    low, high = NUMBER_LIMITS[block]
    element = {
        "type": "number_input",
        "action_id": block,
        "is_decimal_allowed": False,
        "min_value": str(low),
        "max_value": str(high),
    }
    if initial is not None:
        element["initial_value"] = str(initial)
    return {"type": "input", "block_id": block, "label": _plain(label), "element": element, "optional": True}


SHAPE_LABELS = {"paragraphs": "Paragraphs", "bullets": "A TL;DR line then bullet points", "tldr": "TL;DR only"}


def _shape_select(current: str | None) -> dict:
    """The shape of a summary (bot/spec.py SHAPES), or inherit."""
    options = [_option(INHERIT, "Inherit"), *(_option(shape, SHAPE_LABELS[shape]) for shape in SHAPES)]
    element = {"type": "static_select", "action_id": "shape", "options": options}
    element["initial_option"] = next(o for o in options if o["value"] == (current or INHERIT))
    return {"type": "input", "block_id": "shape", "label": _plain("Shape of a summary"), "element": element,
            "optional": True}


def _shape_value(raw: str | None) -> str | None:
    return raw if raw in SHAPES else None


def _option(value: str, text: str) -> dict:
    return {"text": _plain(text), "value": value}


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text[:150]}


def describe(preferences) -> str:
    """One line per setting, for the Home tab."""
    spec = preferences.spec
    return "\n".join(
        [
            f"*Automatic summaries of posted links:* {'on' if preferences.auto_mode else 'off'}",
            f"*Reaction that asks for a summary:* :{escape_mrkdwn(preferences.reaction)}:",
            f"*Length:* at most {spec.max_words:,} words in {spec.paragraphs} paragraphs",
            f"*Shape:* {SHAPE_LABELS.get(spec.shape, spec.shape)}",
            f"*Language:* {escape_mrkdwn(spec.language) if spec.language else 'the article’s own'}",
        ]
    )
