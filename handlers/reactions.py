"""Door 2: the configured emoji (default :memo:) on a message with a link."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.links import find_links
from bot.request import SummaryRequest
from handlers.common import accept_links

if TYPE_CHECKING:
    from bot.app import AppContext

log = logging.getLogger(__name__)


def register(app: App, ctx: AppContext) -> None:
    @app.event("reaction_added")
    def on_reaction(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
        item = event.get("item", {})
        if item.get("type") != "message":
            return
        preferences = ctx.preferences(context.team_id, item["channel"])
        if event.get("reaction", "").split("::")[0] != preferences.reaction:
            return
        message = read_message(client, item["channel"], item["ts"])
        if message is None:
            return
        template = SummaryRequest(
            url="",
            team_id=context.team_id or "",
            channel=item["channel"],
            user=event.get("user"),
            door="reaction",
            spec=preferences.spec,
            thread_ts=message.get("thread_ts") or message["ts"],
            source_ts=message["ts"],
            event_id=body.get("event_id"),
        )
        accept_links(ctx, client, find_links(message, limit=ctx.settings.max_links_per_message), template)

    @app.event("reaction_removed")
    def ignore_reaction_removed() -> None:
        """Nothing to undo; listening keeps Bolt from warning about an unhandled event."""


def read_message(client: WebClient, channel: str, ts: str) -> dict | None:
    """One message by its ts, top-level or in a thread; None when it is gone (deleted, no access)."""
    try:
        response = client.conversations_replies(channel=channel, ts=ts, limit=1, inclusive=True, latest=ts, oldest=ts)
    except SlackApiError as exc:
        log.info("cannot read message %s in %s: %s", ts, channel, exc.response.get("error"))
        return None
    return next((m for m in response.get("messages", []) if m.get("ts") == ts), None)
