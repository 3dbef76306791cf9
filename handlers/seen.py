"""The links of the messages the app sees go by, so a reaction or a mention needs no history read.

The app receives every message of the conversations it is a member of, automatic mode on or off, and
remembers each one's links for SEEN_LINKS_HOURS. A reaction, or a mention in a thread, on a message it
saw resolves from that memory. Only a message it never saw (older, or posted before it joined) is read
from Slack with ``conversations.replies``, and off the request path: since 2025-05-29 Slack answers a
commercially distributed app outside the Marketplace one history read a minute, so the door queues the
request and a worker reads the message, waiting in the queue for ``Retry-After`` when Slack says 429.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.deliver import Delivery
from bot.jobs import RetryAfter
from bot.request import SummaryRequest
from bot.slack_files import sources
from bot.store import SeenLinks
from handlers.common import accept, accept_links, tell, usage

if TYPE_CHECKING:
    from bot.app import AppContext

log = logging.getLogger(__name__)

NOT_REMEMBERED = {"message_deleted", "channel_join", "channel_leave", "message_replied", "tombstone"}
DEFAULT_RETRY_AFTER = 60.0  # Slack's window for the one-a-minute history limit, if a 429 names none


def remember(ctx: AppContext, team: str, event: dict) -> None:
    """Keep the links of a message event (its new text, after an edit); forget a deleted message."""
    channel = event.get("channel")
    if not channel:
        return
    if event.get("subtype") == "message_deleted" and event.get("deleted_ts"):
        ctx.store.forget_links(team, channel, event["deleted_ts"])
        return
    message = event.get("message") if event.get("subtype") == "message_changed" else event
    if not isinstance(message, dict) or not message.get("ts") or message.get("subtype") in NOT_REMEMBERED:
        return
    links = sources(message, limit=ctx.settings.max_links_per_message)  # web links and shared files
    seen = SeenLinks(ts=message["ts"], thread_ts=message.get("thread_ts"), links=links)
    ctx.store.remember_links(team, channel, seen, ctx.settings.seen_links_for)


def recall(ctx: AppContext, team: str, channel: str, ts: str) -> SeenLinks | None:
    return ctx.store.seen_links(team, channel, ts, ctx.settings.seen_links_for)


def ask_about(ctx: AppContext, client: WebClient, template: SummaryRequest, ts: str) -> None:
    """Summarize the links of message ``ts``: at once when the app saw it, else a worker reads it first."""
    seen = recall(ctx, template.team_id, template.channel, ts)
    if seen is None:
        accept(ctx, client, replace(template, url="", source_ts=ts))
        return
    if template.door == "reaction":
        template = replace(template, thread_ts=seen.thread_ts or seen.ts)
    if not seen.links and template.door == "mention":
        no_link(ctx, client, template)
    accept_links(ctx, client, seen.links, replace(template, source_ts=seen.ts))


def resolve(ctx: AppContext, request: SummaryRequest, delivery: Delivery) -> None:
    """Worker side of :func:`ask_about` for a message the app never saw: read it, remember it, queue its links.

    Raises RetryAfter on Slack's 429: the request waits in the queue, no worker thread sleeps.
    """
    ts = request.source_ts or ""
    message = read_message(delivery.client, request.channel, ts)
    if message is not None:
        remember(ctx, request.team_id, message | {"channel": request.channel})
    links = sources(message, limit=ctx.settings.max_links_per_message) if message else []
    template = request
    if request.door == "reaction" and message:
        template = replace(request, thread_ts=message.get("thread_ts") or message["ts"])
    if not links and request.door == "mention":
        no_link(ctx, delivery.client, request)
    accept_links(ctx, delivery.client, links, template)


def no_link(ctx: AppContext, client: WebClient, request: SummaryRequest) -> None:
    text = "I need a link to summarize.\n\n" + usage(ctx, request.team_id, request.channel)
    tell(client, request.channel, request.user, text, request.thread_ts)


def read_message(client: WebClient, channel: str, ts: str) -> dict | None:
    """One message by its ts, top-level or in a thread; None when it is gone (deleted, no access).

    Read with the client's retries but the one for 429s, which would hold a worker thread for a minute.
    """
    reader = WebClient(
        token=client.token,
        base_url=client.base_url,
        retry_handlers=[h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)],
    )
    try:
        response = reader.conversations_replies(channel=channel, ts=ts, limit=1, inclusive=True, latest=ts, oldest=ts)
    except SlackApiError as exc:
        if exc.response.status_code == 429:
            headers = {name.lower(): value for name, value in (exc.response.headers or {}).items()}
            raise RetryAfter(_seconds(headers.get("retry-after"))) from exc
        log.info("cannot read message %s in %s: %s", ts, channel, exc.response.get("error"))
        return None
    return next((m for m in response.get("messages", []) if m.get("ts") == ts), None)


def _seconds(value: object) -> float:
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(1.0, float(value))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
