"""Door 4: `@app <url>` anywhere, or `@app [words=N]` in a thread whose parent carries a link."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.answer import looks_like_question
from bot.errors import InputError
from bot.request import SummaryRequest
from handlers import questions, seen
from handlers.common import accept_links, authorization, is_bot, parse_ask, tell, usage, workspace

if TYPE_CHECKING:
    from bot.app import AppContext


def register(app: App, ctx: AppContext) -> None:
    @app.event("app_mention")
    def on_mention(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
        if is_bot(event):  # as in channels: a bot's mention has no person to answer or to count
            return
        channel, user, team = event["channel"], event.get("user"), workspace(context, body)
        thread_ts = event.get("thread_ts") or event["ts"]
        text = re.sub(r"<@[A-Z0-9]+>", " ", event.get("text", ""))
        if text.strip().lower() == "help":
            tell(client, channel, user, usage(ctx, team, channel), thread_ts)
            return
        asked = event.get("thread_ts") and is_question(text)
        if asked and (url := questions.thread_link(ctx, team, channel, thread_ts)):
            asker = SummaryRequest(url=url, team_id=team, channel=channel, user=user, door="mention",
                                   thread_ts=thread_ts, auth=authorization(context))
            questions.answer(ctx, client, asker, text.strip())
            return
        try:
            ask = parse_ask(text, ctx.spec_for(team, channel), limit=ctx.settings.max_links_per_message)
        except InputError as exc:
            tell(client, channel, user, f":warning: {exc.message}", thread_ts)
            return
        if not ask.urls and not event.get("thread_ts"):
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
            source_ts=event["ts"],
            event_id=body.get("event_id"),
            auth=authorization(context),
        )
        if ask.urls:
            accept_links(ctx, client, ask.urls, template)
        else:  # `@app` in a thread: the links of its parent
            seen.ask_about(ctx, client, template, event["thread_ts"])


def is_question(text: str) -> bool:
    """A question about the thread's article: asked in words, with no link and no options (words=N)."""
    return looks_like_question(text) and "=" not in text and "http" not in text.lower()
