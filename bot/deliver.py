"""Putting answers into Slack: the thread reply, status reactions, and Slack's errors in plain words.

Idempotent by construction: the store remembers the thread a request answers in and how many
messages of the reply were already posted, so a job that runs again (after a crash or a retry)
posts only what is missing, and a request that was answered is never answered twice.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import metrics
from bot.controls import Shown
from bot.errors import DeliveryError
from bot.render import (
    SlackMessage,
    escape_mrkdwn,
    message_text,
    mrkdwn_link,
    render_failure,
    render_summary,
    with_controls,
)
from bot.request import SummaryRequest
from bot.store import Status, Store
from bot.summarizers import Summary

log = logging.getLogger(__name__)

WORKING, DONE, FAILED = "hourglass_flowing_sand", "white_check_mark", "warning"

# Slack error codes that another try may fix, and those that mean "you may not post here".
TRANSIENT = {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
CANNOT_POST = {
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "restricted_action",
    "cannot_reply_to_message",
    "team_access_not_granted",
    "token_revoked",
    "invalid_auth",
    "account_inactive",
}
TOO_BIG = {"msg_too_long", "msg_blocks_too_long", "invalid_blocks"}


class Delivery:
    def __init__(self, client: WebClient, store: Store) -> None:
        self.client = client
        self.store = store

    # Status reactions: best effort, never the reason a summary is lost.

    def working(self, request: SummaryRequest) -> None:
        if not self.loading_status(request):
            self._react("reactions_add", request, WORKING)

    LOADING = "is summarizing the link\u2026"
    STATUS_DOORS = ("assistant", "control")  # threads the app answers in itself: no message of the asker's to mark

    def loading_status(self, request: SummaryRequest) -> bool:
        """A thread's loading state (assistant.threads.setStatus; Slack clears it when the reply is posted, or
        after two minutes). Asked for in the app's assistant threads and under a pressed control; where Slack
        refuses it, the hourglass reaction on the asker's message stands in."""
        if request.door not in self.STATUS_DOORS or not request.thread_ts:
            return False
        try:
            self.client.assistant_threads_setStatus(
                channel_id=request.channel, thread_ts=request.thread_ts, status=self.LOADING
            )
        except SlackApiError as exc:
            log.debug("assistant.threads.setStatus refused: %s", exc.response.get("error"))
            return False
        return True

    def finished(self, request: SummaryRequest, *, ok: bool) -> None:
        """The hourglass stays until the last link of the message is done (the caller finished this one)."""
        self._react("reactions_add", request, DONE if ok else FAILED)
        if not self.store.others_pending(request):
            self._react("reactions_remove", request, WORKING)

    def _react(self, method: str, request: SummaryRequest, name: str) -> None:
        if not request.source_ts:
            return
        try:
            getattr(self.client, method)(channel=request.channel, timestamp=request.source_ts, name=name)
        except SlackApiError as exc:
            log.debug("%s %s failed: %s", method, name, exc.response.get("error"))
            metrics.slack_error(exc.response.get("error") or f"http_{exc.response.status_code}")

    # Replies.

    def summary(self, request: SummaryRequest, summary: Summary) -> None:
        self._post_all(request, self.summary_messages(request, summary))

    def summary_messages(self, request: SummaryRequest, summary: Summary) -> list[SlackMessage]:
        """The summary, with the controls under it (Shorter, Longer, Bullets, Translate, Regenerate, 👍/👎)."""
        return with_controls(render_summary(summary), Shown.of(request.url, summary, request.spec).encode())

    def failure(self, request: SummaryRequest, reason: str) -> None:
        self._post_all(request, [render_failure(reason, request.url)])

    def _post_all(self, request: SummaryRequest, messages: list[SlackMessage]) -> None:
        try:
            thread_ts = self._thread(request)
            self._post_in_thread(request, thread_ts, messages)
        except DeliveryError as exc:
            if exc.transient or not request.response_url:
                raise
            log.info("cannot post in %s (%s); answering through response_url", request.channel, exc.error)
            self._respond(request.response_url, messages)

    def _thread(self, request: SummaryRequest) -> str:
        """The thread to answer in; for /summarize, a parent message posted once and remembered."""
        if request.thread_ts:
            return request.thread_ts
        progress = self.store.progress(request.key)
        if progress and progress.thread_ts:
            return progress.thread_ts
        who = f" requested by <@{request.user}>" if request.user else ""
        text = f"Summary of {mrkdwn_link(request.url)}{who}"  # a "|" in the URL cannot add a label
        ts = self._call(channel=request.channel, text=text, unfurl_links=False, unfurl_media=False)
        self.store.record_thread(request.key, ts)
        return ts

    def _post_in_thread(self, request: SummaryRequest, thread_ts: str, messages: list[SlackMessage]) -> None:
        progress = self.store.progress(request.key)
        posted = progress.parts_posted if progress else 0
        pending = list(messages[posted:])
        while pending:
            message = pending.pop(0)
            try:
                self._call(
                    channel=request.channel,
                    thread_ts=thread_ts,
                    unfurl_links=False,
                    unfurl_media=False,
                    **message.as_kwargs(),
                )
            except DeliveryError as exc:
                if exc.error not in TOO_BIG or len(message.blocks) < 2:
                    raise
                log.info("Slack refused a reply part (%s); posting it in two halves", exc.error)
                pending[:0] = halve(message)
                continue
            posted += 1
            self.store.record_part_posted(request.key, posted)

    def _call(self, **args) -> str:
        try:
            return self.client.chat_postMessage(**args)["ts"]
        except SlackApiError as exc:
            raise as_delivery_error(exc) from exc

    def _respond(self, response_url: str, messages: list[SlackMessage]) -> None:
        """Slack lets a response_url be used five times in 30 minutes: never use more."""
        hook = WebhookClient(response_url)
        for message in messages[:5]:
            response = hook.send(response_type="ephemeral", **message.as_kwargs())
            if response.status_code >= 400:
                raise DeliveryError("Slack refused the reply.", error=f"http_{response.status_code}")

    # Pointers for a second ask about a link already summarized.

    def pointer(self, request: SummaryRequest, thread_ts: str | None, done: bool) -> None:
        if not request.user:
            return
        if done and thread_ts:
            link = self._permalink(request.channel, thread_ts)
            text = f"That link is already summarized{f' <{link}|in this thread>' if link else ' in its thread'}."
        else:
            text = "I'm already summarizing that link; the summary will appear in its thread."
        try:
            self.client.chat_postEphemeral(
                channel=request.channel, user=request.user, text=text, thread_ts=thread_ts or request.thread_ts
            )
        except SlackApiError as exc:
            log.info("could not send a pointer: %s", exc.response.get("error"))

    def earlier(self, request: SummaryRequest, thread_ts: str) -> None:
        """Automatic mode met a link already summarized in this channel: point to it, in the new thread."""
        link = self._permalink(request.channel, thread_ts)
        where = f"<{link}|earlier in this channel>" if link else "earlier in this channel"
        try:
            self._call(
                channel=request.channel,
                thread_ts=request.thread_ts,
                text=f"This link was summarized {where}.",
                unfurl_links=False,
                unfurl_media=False,
            )
        except DeliveryError as exc:
            log.info("could not point to the earlier summary: %s", exc.error)
        self.store.finish(request.key, Status.POSTED)

    def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            return self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
        except SlackApiError:
            return None


def halve(message: SlackMessage) -> list[SlackMessage]:
    """Split a message Slack found too big at a block boundary, keeping the fallback text honest."""
    middle = len(message.blocks) // 2
    halves = [message.blocks[:middle], message.blocks[middle:]]
    return [replace(message, blocks=half, text=message_text(half, 3900) or message.text[:3000]) for half in halves]


def as_delivery_error(exc: SlackApiError) -> DeliveryError:
    status = exc.response.status_code
    error = exc.response.get("error") or f"http_{status}"
    metrics.slack_error(error)
    transient = status == 429 or status >= 500 or error in TRANSIENT
    if error in CANNOT_POST:
        message = "I'm not allowed to post in this conversation (invite me with /invite, or check my permissions)."
    elif transient:
        message = "Slack is having trouble right now; I'll try again."
    else:
        message = f"Slack refused the reply ({error})."
    return DeliveryError(message, error=error, transient=transient)


# Streaming (STREAM_REPLIES with OpenAI): the model's first draft shows while written; the checked summary replaces it.

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def inert_markdown(text: str) -> str:
    """A draft as chat.*Stream's ``markdown_text`` shows it as written: no mention, link or formatting."""
    return _MARKDOWN.sub(r"\\\1", escape_mrkdwn(text))


class DraftStream:
    """One streamed draft in a thread: started on its first text, appended in pieces, then stopped and
    replaced by the checked summary (:meth:`Delivery.streamed_summary`). A stream Slack refuses is
    dropped quietly: the summary is then posted as usual."""

    PIECE = 200  # characters per chat.appendStream; Slack rate-limits the method

    def __init__(self, client: WebClient, request: SummaryRequest) -> None:
        self.client, self.request = client, request
        self.ts: str | None = None
        self.pending = ""
        self.failed = False

    def append(self, text: str) -> None:
        if self.failed:
            return
        self.pending += text
        if len(self.pending) >= self.PIECE:
            self._flush()

    def _flush(self) -> None:
        if not self.pending or self.failed:
            return
        request, text = self.request, inert_markdown(self.pending)
        try:
            if self.ts is None:
                recipient = {"recipient_user_id": request.user, "recipient_team_id": request.team_id} if (
                    request.user and request.team_id) else {}
                self.ts = self.client.chat_startStream(
                    channel=request.channel, thread_ts=request.thread_ts, markdown_text=text, **recipient
                )["ts"]
            else:
                self.client.chat_appendStream(channel=request.channel, ts=self.ts, markdown_text=text)
            self.pending = ""
        except SlackApiError as exc:
            log.info("streaming the draft stopped: %s", exc.response.get("error"))
            metrics.slack_error(exc.response.get("error") or "stream")
            self.failed = True

    def stop(self) -> str | None:
        """End the stream; the ts of the streamed message, if one was started."""
        self._flush()
        if self.ts is not None:
            try:
                self.client.chat_stopStream(channel=self.request.channel, ts=self.ts)
            except SlackApiError as exc:
                log.info("chat.stopStream failed: %s", exc.response.get("error"))
        return self.ts


def streamed_summary(delivery: Delivery, request: SummaryRequest, summary: Summary, stream: DraftStream) -> None:
    """The checked summary in place of the streamed draft (chat.update), the rest of a long one after it."""
    ts, progress = stream.stop(), delivery.store.progress(request.key)
    if ts is None or (progress and progress.parts_posted):  # nothing streamed, or a retry after it was replaced
        return delivery.summary(request, summary)
    messages = delivery.summary_messages(request, summary)
    first = messages[0]
    try:
        delivery.client.chat_update(channel=request.channel, ts=ts, **first.as_kwargs())
    except SlackApiError as exc:
        raise as_delivery_error(exc) from exc
    delivery.store.record_part_posted(request.key, 1)
    delivery._post_in_thread(request, request.thread_ts, messages)
    return None


def withdraw(delivery: Delivery, request: SummaryRequest, stream: DraftStream) -> None:
    """A draft whose summary failed is not left standing as if it were one."""
    ts = stream.stop()
    if ts is None:
        return
    try:
        delivery.client.chat_update(channel=request.channel, ts=ts, text="(draft withdrawn: see the reply below)")
    except SlackApiError as exc:
        log.info("could not withdraw a draft: %s", exc.response.get("error"))
