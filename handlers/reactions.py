"""Door 2: the configured emoji (default :memo:) on a message with a link."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.request import SummaryRequest
from handlers import seen
from handlers.common import authorization, workspace

if TYPE_CHECKING:
    from bot.app import AppContext


def register(app: App, ctx: AppContext) -> None:
    @app.event("reaction_added")
    def on_reaction(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
        item = event.get("item", {})
        if item.get("type") != "message":
            return
        team = workspace(context, body)
        preferences = ctx.preferences(team, item["channel"])
        if event.get("reaction", "").split("::")[0] != preferences.reaction:
            return
        template = SummaryRequest(
            url="",
            team_id=team,
            channel=item["channel"],
            user=event.get("user"),
            door="reaction",
            spec=preferences.spec,
            thread_ts=item["ts"],  # until the message says which thread it is in
            source_ts=item["ts"],
            event_id=body.get("event_id"),
            auth=authorization(context),
        )
        seen.ask_about(ctx, client, template, item["ts"])

    @app.event("reaction_removed")
    def ignore_reaction_removed() -> None:
        """Nothing to undo; listening keeps Bolt from warning about an unhandled event."""
