"""Door 6: the controls under a summary. Each press is acknowledged at once; its summary comes from the queue.

A press is its own request, keyed by the press (the message it is under, the control, its value and
who pressed): a double click or Slack's retry of the same press asks once. 👍/👎 are recorded, not queued.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import TYPE_CHECKING

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.controls import VOTES, Shown, next_spec
from bot.render import CONTROL_PREFIX, TRANSLATE
from bot.request import SummaryRequest
from handlers.common import accept, authorization, tell, workspace

if TYPE_CHECKING:
    from bot.app import AppContext

log = logging.getLogger(__name__)


def register(app: App, ctx: AppContext) -> None:
    @app.action(re.compile("^" + re.escape(CONTROL_PREFIX)))
    def on_control(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
        ack()
        press(ctx, client, body, action, context)


def press(ctx: AppContext, client: WebClient, body: dict, action: dict, context: BoltContext) -> None:
    name = action["action_id"].removeprefix(CONTROL_PREFIX)
    container, message = body.get("container") or {}, body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    message_ts = container.get("message_ts") or message.get("ts")
    user, team = (body.get("user") or {}).get("id"), workspace(context, body)
    try:
        shown = Shown.decode(action.get("value") or _value_beside(message))
    except (ValueError, TypeError, KeyError):
        log.warning("ignored a press of %s without a summary it belongs to", name)
        return
    if name in VOTES:
        if user:
            ctx.store.record_feedback(team, channel, message_ts, user, shown.url, VOTES[name])
            tell(client, channel, user, "Thanks for the feedback.", container.get("thread_ts"))
        return
    language = ((action.get("selected_option") or {}).get("value") or None) if name == TRANSLATE else None
    spec, fresh = next_spec(shown, name, language)
    chosen = language or action.get("value") or ""
    press_id = hashlib.sha256(f"{message_ts}|{name}|{chosen}|{user}".encode()).hexdigest()[:32]
    request = SummaryRequest(
        url=shown.url,
        team_id=team,
        channel=channel,
        user=user,
        door="control",
        spec=spec,
        thread_ts=container.get("thread_ts") or message.get("thread_ts") or message_ts,
        event_id=press_id,  # a second delivery of the press is the same delivery: dropped quietly
        auth=authorization(context),
        fresh=fresh,
        press=press_id,
    )
    accept(ctx, client, request)


def _value_beside(message: dict) -> str:
    """The menu carries only the language: what the summary was made of rides on the buttons beside it."""
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if str(element.get("action_id", "")).startswith(CONTROL_PREFIX) and element.get("value"):
                return element["value"]
    raise ValueError("no control value in the message")
