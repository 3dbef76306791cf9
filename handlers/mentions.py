"""Door 4: `@app <url>` anywhere, or `@app [words=N]` in a thread whose parent carries a link."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.errors import InputError
from bot.links import find_links
from bot.request import SummaryRequest
from handlers.common import accept_links, parse_ask, tell, usage
from handlers.reactions import read_message

if TYPE_CHECKING:
    from bot.app import AppContext


def register(app: App, ctx: AppContext) -> None:
    @app.event("app_mention")
    def on_mention(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
        channel, user, team = event["channel"], event.get("user"), context.team_id or ""
        thread_ts = event.get("thread_ts") or event["ts"]
        text = re.sub(r"<@[A-Z0-9]+>", " ", event.get("text", ""))
        if text.strip().lower() == "help":
            tell(client, channel, user, usage(ctx, team, channel), thread_ts)
            return
        try:
            ask = parse_ask(text, ctx.spec_for(team, channel), limit=ctx.settings.max_links_per_message)
        except InputError as exc:
            tell(client, channel, user, f":warning: {exc.message}", thread_ts)
            return
        source_ts, urls = event["ts"], ask.urls
        if not urls and event.get("thread_ts"):
            parent = read_message(client, channel, event["thread_ts"])
            source_ts = event["thread_ts"]
            urls = find_links(parent, limit=ctx.settings.max_links_per_message) if parent else []
        if not urls:
            tell(client, channel, user, "I need a link to summarize.\n\n" + usage(ctx, team, channel), thread_ts)
            return
        template = SummaryRequest(
            url="",
            team_id=team,
            channel=channel,
            user=user,
            door="mention",
            spec=ask.spec,
            thread_ts=thread_ts,
            source_ts=source_ts,
            event_id=body.get("event_id"),
        )
        accept_links(ctx, client, urls, template)
