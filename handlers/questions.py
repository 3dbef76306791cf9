"""Questions in a summary's thread: `@app <question>` answered from the article the thread is about.

The thread's article is known from the app's own store (the request answered in that thread, then the
cache's copy of its article), never from reading the conversation; if the copy is gone, it is fetched again.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answer import NOT_SAID, answer_offline, grounded, passages
from bot.cache import summary_from_dict
from bot.errors import BotError
from bot.extract import extract
from bot.links import normalize_url
from bot.pipeline import load_source
from bot.render import SlackMessage, render_answer, render_failure, render_model_answer
from bot.request import SummaryRequest
from bot.summarizers import make_summarizer

if TYPE_CHECKING:
    from bot.app import AppContext

log = logging.getLogger(__name__)


MODEL_WORDS = 6000  # of the article, sent with a question (its best-matching sentences when longer)


def model_answer(ctx: AppContext, asker: SummaryRequest, text: str, question: str) -> SlackMessage | None:
    """With OpenAI: the model's short answer quoting its evidence, under the cost guard and counted in usage;
    None (the offline answer, free) without it, over the guard's limits, or when the model fails or names a
    number or name the article lacks."""
    if ctx.settings.resolved_backend != "openai" or not ctx.settings.openai_api_key:
        return None
    if refusal := ctx.guard.refusal(asker):
        log.info("answering from the article's sentences: %s", refusal)
        return None
    summarizer = make_summarizer(ctx.settings, "openai")
    try:
        reply, usage = summarizer.answer(passages(text, question, MODEL_WORDS), question)
    except BotError as exc:
        log.info("the model could not answer a question: %s", exc.message)
        return None
    prices = ctx.settings.openai_price_input, ctx.settings.openai_price_output  # as the worker prices summaries
    cost = (usage.prompt_tokens * prices[0] + usage.completion_tokens * prices[1]) / 1e6
    ctx.store.record_usage(asker, "openai", summarizer.model, usage, cost)
    if not grounded(reply, text):
        log.info("the model's answer named facts the article lacks; answering from its sentences")
        return None
    return render_model_answer(reply)


def thread_link(ctx: AppContext, team: str, channel: str, thread_ts: str) -> str | None:
    return ctx.store.thread_link(team, channel, thread_ts)


def article_text(ctx: AppContext, url: str) -> str:
    """The article's text: the cache's copy while ARTICLE_RETENTION_HOURS allows, else read again."""
    hours = ctx.settings.article_retention_hours
    hours = ctx.settings.cache_ttl_hours if hours is None else hours
    try:
        key = normalize_url(url)
    except ValueError:
        key = url
    if hours and (kept := ctx.store.cached_article(key, timedelta(hours=hours))):
        return summary_from_dict({"article": kept, "paragraphs": [], "spec": {}, "backend": ""}).article.text
    return extract(load_source(url, ctx.settings)).text


def answer(ctx: AppContext, client: WebClient, asker: SummaryRequest, question: str) -> None:
    """Post the answer (or why there is none) in ``asker``'s thread; never a traceback, never silence."""
    channel, thread_ts, url = asker.channel, asker.thread_ts, asker.url
    try:
        text = article_text(ctx, url)
        message = model_answer(ctx, asker, text, question) or render_answer(
            answer_offline(text, question).quotes, NOT_SAID
        )
    except BotError as exc:
        message = render_failure(exc.message, url)
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, unfurl_links=False, unfurl_media=False,
                                **message.as_kwargs())
    except SlackApiError as exc:
        log.warning("could not post an answer: %s", exc.response.get("error"))
