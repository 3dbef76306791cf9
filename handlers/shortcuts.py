"""The fifth way in: the message shortcut "Summarize links in this message"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.request import SummaryRequest
from bot.slack_files import sources
from handlers.common import accept_links, authorization, workspace

if TYPE_CHECKING:
    from bot.app import AppContext

CALLBACK_ID = "summarize_message"


def register(app: App, ctx: AppContext) -> None:
    @app.shortcut(CALLBACK_ID)
    def on_shortcut(ack: Ack, shortcut: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
        ack()
        message, channel = shortcut.get("message", {}), shortcut["channel"]["id"]
        team = workspace(context, shortcut)
        urls = sources(message, limit=ctx.settings.max_links_per_message)
        if not urls:
            respond(text="I couldn't find a web link or a file in that message.", response_type="ephemeral")
            return
        template = SummaryRequest(
            url="",
            team_id=team,
            channel=channel,
            user=shortcut.get("user", {}).get("id"),
            door="shortcut",
            spec=ctx.spec_for(team, channel),
            thread_ts=message.get("thread_ts") or message["ts"],
            source_ts=message["ts"],
            response_url=shortcut.get("response_url"),
            event_id=shortcut.get("trigger_id"),
            auth=authorization(context),
        )
        accept_links(ctx, client, urls, template)
