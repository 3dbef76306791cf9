"""Door 7: the app's assistant thread (Slack's Agents & AI Apps), through Bolt's ``Assistant`` middleware.

A link pasted there is summarized in that thread; the thread gets a title and, while the summary is
made, a loading status. Suggested prompts offer what comes next: Summarize a link, Shorter, Bullets,
Ask about it. A question is answered from the thread's article (handlers/questions.py). Without the
feature the same messages arrive as DM thread replies (Bolt routes those here too) and work the same way;
a DM's first message (no thread) is a posted link as in any channel (handlers/messages.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from slack_bolt import App, Assistant, BoltContext, Say, SetStatus, SetSuggestedPrompts, SetTitle
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.controls import Shown, next_spec
from bot.errors import BotError
from bot.links import find_links
from bot.render import render_failure
from bot.request import SummaryRequest
from bot.spec import word_budget
from handlers import questions, seen
from handlers.common import accept, accept_links, authorization, is_bot, workspace
from handlers.mentions import is_question

if TYPE_CHECKING:
    from bot.app import AppContext

log = logging.getLogger(__name__)

PROMPTS = [
    {"title": "Summarize a link", "message": "Summarize a link"},
    {"title": "Shorter", "message": "Shorter"},
    {"title": "Bullets", "message": "Bullets"},
    {"title": "Ask about it", "message": "Ask about it"},
]
WELCOME = "Paste a link and I'll summarize it here. Then ask me about it, or ask for it shorter or as bullets."
HOW_TO_ASK = "Ask me a question about the article in this thread, e.g. _what did they decide?_"
NEEDS_LINK = "Paste a link first, and I'll summarize it here."
CONTROLS = {"shorter": "shorter", "longer": "longer", "bullets": "bullets", "regenerate": "regenerate"}
WORKING = "is summarizing the link\u2026"


class NoThreadContext(AssistantThreadContextStore):
    """The app keeps no assistant thread context: Bolt's default store would read the thread's history
    (conversations.replies) to find it, and what the app needs of a thread is in its own store."""

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        pass

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        return None


def register(app: App, ctx: AppContext) -> None:
    assistant = Assistant(thread_context_store=NoThreadContext())

    @assistant.thread_started
    def on_thread_started(say: Say, set_suggested_prompts: SetSuggestedPrompts) -> None:
        say(WELCOME)
        _best_effort(set_suggested_prompts, prompts=PROMPTS)

    @assistant.thread_context_changed
    def on_context_changed() -> None:
        """The channel the person is looking at does not change what they asked (and Bolt's default store
        would read the thread's history to save it)."""

    @assistant.user_message
    def on_user_message(
        event: dict, body: dict, client: WebClient, context: BoltContext, say: Say, set_status: SetStatus,
        set_title: SetTitle, set_suggested_prompts: SetSuggestedPrompts,
    ) -> None:
        team = workspace(context, body)
        seen.remember(ctx, team, event)
        if event.get("subtype") not in (None, "file_share") or is_bot(event):
            return
        channel, thread_ts = event["channel"], event["thread_ts"]
        template = SummaryRequest(
            url="", team_id=team, channel=channel, user=event.get("user"), door="assistant",
            spec=ctx.spec_for(team, channel), thread_ts=thread_ts, source_ts=event["ts"],
            event_id=body.get("event_id"), auth=authorization(context),
        )
        links = find_links(event, limit=ctx.settings.max_links_per_message)
        if links:
            _best_effort(set_title, title=_title(links[0]))
            _best_effort(set_status, status=WORKING)
            accept_links(ctx, client, links, template)
            _best_effort(set_suggested_prompts, prompts=PROMPTS[1:])
            return
        text = re.sub(r"<@[A-Z0-9]+>", " ", event.get("text", "")).strip()
        url = questions.thread_link(ctx, team, channel, thread_ts)
        wish = text.lower().strip(" .!")
        if wish == "summarize a link" or not url:
            say(WELCOME if wish == "summarize a link" else NEEDS_LINK)
        elif wish in CONTROLS:
            _best_effort(set_status, status=WORKING)
            try:
                ask_again(ctx, client, template, url, CONTROLS[wish])
            except BotError as exc:  # the article could not be read again
                say(render_failure(exc.message, url).text)
        elif is_question(text):
            _best_effort(set_status, status="is reading the article\u2026")
            questions.answer(ctx, client, replace(template, url=url), text)
        else:
            say(HOW_TO_ASK)

    app.assistant(assistant)


def ask_again(ctx: AppContext, client: WebClient, template: SummaryRequest, url: str, action: str) -> None:
    """Shorter, Longer, Bullets or Regenerate asked in words: the thread's link with the changed spec."""
    words = word_budget(template.spec, len(questions.article_text(ctx, url).split()))  # the summary's at most
    spec, fresh = next_spec(Shown(url=url, words=words, spec=template.spec), action)
    accept(ctx, client, replace(template, url=url, spec=spec, fresh=fresh))


def _title(url: str) -> str:
    return ("Summary of " + url)[:200]


def _best_effort(call, **args) -> None:
    """Titles, prompts and statuses need the Agents & AI Apps feature; without it, the answer still comes."""
    try:
        call(**args)
    except SlackApiError as exc:
        log.info("assistant call refused: %s", exc.response.get("error"))
