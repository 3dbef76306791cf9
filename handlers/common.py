"""What the doors share: reading `words=N paragraphs=N` options, and accepting a request."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import logs, metrics
from bot.errors import InputError
from bot.links import find_links_in_text
from bot.oauth import NOT_INSTALLED
from bot.render import escape_mrkdwn, render_usage
from bot.request import Authorization, SummaryRequest
from bot.spec import SHAPES, SummarySpec

if TYPE_CHECKING:
    from bot.app import AppContext

log = logging.getLogger(__name__)

COMMAND = "/summarize"
OPTION = re.compile(r"^(\w+)=(\S*)$")
LIMITS = {"words": (20, 5000), "paragraphs": (1, 20)}


@dataclass(frozen=True)
class Ask:
    """The parsed text of a command or mention."""

    urls: list[str]
    spec: SummarySpec
    words: list[str]  # what is left once links and options are taken out


def parse_ask(text: str, defaults: SummarySpec, limit: int) -> Ask:
    """`<https://x|x> words=300 paragraphs=3 language=fr` -> Ask. Raises InputError naming the problem."""
    urls = find_links_in_text(text, limit=limit)
    values = {"max_words": defaults.max_words, "paragraphs": defaults.paragraphs, "language": defaults.language,
              "shape": defaults.shape}
    leftover = []
    for token in re.sub(r"<[^>]*>", " ", text).split():
        match = OPTION.match(token)
        if not match:
            leftover.append(token)
            continue
        name, value = match.group(1).lower(), match.group(2)
        if name == "language":
            values["language"] = value or None
        elif name == "shape":
            values["shape"] = _shape(value)
        elif name in LIMITS:
            values["max_words" if name == "words" else name] = _number(name, value)
        else:
            raise InputError(f"I don't know the option `{name}`. I understand words=N, paragraphs=N, language=xx "
                             "and shape=paragraphs|bullets|tldr.")
    return Ask(urls=urls, spec=SummarySpec(source_ratio=defaults.source_ratio, **values), words=leftover)


def _shape(value: str) -> str:
    if value.lower() not in SHAPES:
        raise InputError(f"`shape` must be one of {', '.join(SHAPES)}, not `{escape_mrkdwn(value)}`.")
    return value.lower()


def _number(name: str, value: str) -> int:
    low, high = LIMITS[name]
    if not value.isdigit() or not low <= int(value) <= high:
        raise InputError(f"`{name}` must be a whole number from {low} to {high}, not `{escape_mrkdwn(value)}`.")
    return int(value)


def authorization(context: BoltContext) -> Authorization:
    """What Bolt's authorize looked the installation up with (and what it found), for the worker to do the same."""
    found = context.authorize_result
    return Authorization(
        enterprise_id=context.enterprise_id,
        team_id=context.team_id,
        is_enterprise_install=bool(context.is_enterprise_install),
        user_id=found.user_id if found else None,
        bot_id=found.bot_id if found else None,
        bot_user_id=(found.bot_user_id if found else None) or context.bot_user_id,
    )


def workspace(context: BoltContext, body: dict) -> str:
    """The workspace a request comes from; with an org-wide install Bolt's context names no team."""
    team = body.get("team")
    return (
        context.team_id
        or body.get("team_id")
        or (team.get("id") if isinstance(team, dict) else team)
        or (body.get("user") or {}).get("team_id")
        or (body.get("event") or {}).get("team")
        or ""
    )


def is_bot(event: dict) -> bool:
    """A message or mention a bot or an integration posted (the app answers people only)."""
    return bool(event.get("bot_id") or event.get("bot_profile")) or event.get("subtype") == "bot_message"


@logs.with_request_key
def accept(ctx: AppContext, client: WebClient, request: SummaryRequest) -> str | None:
    """Queue the request once. A second ask (not a retry of the first) gets a pointer to the answer;
    a link posted again in the same channel links to the earlier summary instead of summarizing twice
    (free, so before the cost guard); a request over the guard's limits gets the reason, which is
    also returned so the door can say it instead of "working on it"."""
    if request.door == "message" and (earlier := ctx.earlier_summary(request)):
        # Not in the summary's own thread (nothing to point to there); claimed without its poster,
        # so a free pointer does not count against anyone's hourly limit.
        if earlier != request.thread_ts and ctx.store.claim(replace(request, user=None)).new:
            ctx.delivery(client).earlier(request, earlier)
            metrics.received(request, "earlier")
        return None
    if not ctx.answerable(request):  # Bolt found a token the worker will not: say so now, while one works
        tell(client, request.channel, request.user, f":warning: {NOT_INSTALLED}", request.thread_ts)
        return NOT_INSTALLED
    if ctx.store.progress(request.key) is None and (refusal := ctx.guard.refusal(request)):
        tell(client, request.channel, request.user, f":warning: {refusal}", request.thread_ts)
        metrics.received(request, "refused")
        return refusal
    claim = ctx.queue.submit(request)
    metrics.received(request, "queued" if claim.new else "duplicate" if claim.same_delivery else "pointer")
    if claim.new:
        log.info("accepted %s request %s", request.door, request.key)
    elif not claim.same_delivery:
        ctx.delivery(client).pointer(request, claim.thread_ts, done=claim.status != "queued")
    return None


def accept_links(ctx: AppContext, client: WebClient, urls: list[str], template: SummaryRequest) -> None:
    """One request per link, alike but for the URL (``template.url`` is ignored)."""
    for url in urls:
        accept(ctx, client, replace(template, url=url))


def tell(client: WebClient, channel: str, user: str | None, text: str, thread_ts: str | None = None) -> None:
    """An ephemeral note to the person who asked; best effort."""
    if not user:
        return
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
    except SlackApiError as exc:  # a note that cannot be delivered must not break the door
        log.info("could not send an ephemeral note: %s", exc)


def usage(ctx: AppContext, team_id: str | None = None, channel: str | None = None) -> str:
    """How to ask, with the reaction and length that apply where the person is."""
    preferences = ctx.preferences(team_id, channel)
    return render_usage(command=COMMAND, emoji=preferences.reaction, spec=preferences.spec)
