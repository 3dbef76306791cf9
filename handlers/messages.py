"""Door 1: links posted in a conversation where the app is a member."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.request import SummaryRequest
from bot.slack_files import sources
from handlers import seen
from handlers.common import accept_links, authorization, is_bot, workspace

if TYPE_CHECKING:
    from bot.app import AppContext

# A person's new message: plain, sent to the channel from a thread, with a file attached, or `/me`.
HUMAN_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}


def register(app: App, ctx: AppContext) -> None:
    @app.event("message")
    def on_message(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
        team = workspace(context, body)
        seen.remember(ctx, team, event)  # automatic mode or not: a reaction or mention may come later
        if not is_human_post(event, context):
            return
        preferences = ctx.preferences(team, event["channel"])
        if not preferences.auto_mode:
            return
        template = SummaryRequest(
            url="",
            team_id=team,
            channel=event["channel"],
            user=event.get("user"),
            door="message",
            spec=preferences.spec,
            thread_ts=event.get("thread_ts") or event["ts"],
            source_ts=event["ts"],
            event_id=body.get("event_id"),
            auth=authorization(context),
        )
        links = sources(event, limit=ctx.settings.max_links_per_message, readable_only=True)
        accept_links(ctx, client, links, template)


def is_human_post(event: dict, context: BoltContext) -> bool:
    """A person's new message: not a bot, not an edit or an unfurl (message_changed), not one that
    mentions the app (the mention door answers those)."""
    if event.get("subtype") not in HUMAN_SUBTYPES or is_bot(event):
        return False
    if context.bot_user_id and f"<@{context.bot_user_id}>" in event.get("text", ""):
        return False
    return bool(event.get("user")) and event.get("user") != context.bot_user_id
