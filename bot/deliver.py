"""Putting answers into Slack: the thread reply, status reactions, and Slack's errors in plain words.

Idempotent by construction: the store remembers the thread a request answers in and how many
messages of the reply were already posted, so a job that runs again (after a crash or a retry)
posts only what is missing, and a request that was answered is never answered twice.

A post can also end with no answer at all: the connection closes or times out after the request
went out, or a gateway fails (500/502/504). Slack may have posted it. Every message the app posts
is therefore tagged with message metadata (the request's key and the message's number), the store
marks a message "sending" until Slack's answer arrives, and a message whose fate is unknown is
looked for in its thread (conversations.replies, or the channel for /summarize's parent) before it
is posted again. Those reads are rate limited, for some apps to one a minute, so they happen only
then; the SDK never retries such a post on its own (:func:`retry_handlers`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from http.client import HTTPException
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot import metrics
from bot.controls import Shown
from bot.errors import DeliveryError
from bot.evidence import evidence_record
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
# Answers after which a post may or may not exist: a gateway or server failure once the request was in,
# and Slack's own "fatal_error" ("It's possible some aspect of the operation succeeded").
FATE_UNKNOWN_STATUS = {500, 502, 504}
FATE_UNKNOWN_ERRORS = {"fatal_error"}

PART, PARENT = "summary_part", "summary_thread"  # metadata event_type of reply messages and /summarize's parent
CLOCK_SKEW = 60  # seconds of slack between our clock and Slack's when narrowing a search by time
READ_PAGE = 15  # conversations.replies/history's largest page for apps under the 2025 limits


class FateUnknown(DeliveryError):
    """Slack may or may not have posted the message: look for it before posting it again."""

    def __init__(self, error: str) -> None:
        super().__init__("Slack did not confirm the reply; I'll check and try again.", error=error, transient=True)


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
        """Post the summary, having first kept the evidence its "Show evidence" button opens."""
        self.store.save_evidence(request.key, request.team_id, request.url, evidence_record(summary))
        self._post_all(request, self.summary_messages(request, summary))

    def summary_messages(self, request: SummaryRequest, summary: Summary) -> list[SlackMessage]:
        """The summary, with the controls under it (Shorter, Longer, Bullets, Translate, Regenerate, 👍/👎)."""
        messages = render_summary(summary, evidence_key=request.key)
        return with_controls(messages, Shown.of(request.url, summary, request.spec).encode())

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
            respond(request.response_url, messages)

    def _thread(self, request: SummaryRequest) -> str:
        """The thread to answer in; for /summarize, a parent message posted once and remembered."""
        if request.thread_ts:
            return request.thread_ts
        progress = self.store.progress(request.key)
        if progress and progress.thread_ts:
            return progress.thread_ts
        ts = self._found(request, None, 0) if progress and progress.in_doubt else None
        if ts is None:
            who = f" requested by <@{request.user}>" if request.user else ""
            text = f"Summary of {mrkdwn_link(request.url)}{who}"  # a "|" in the URL cannot add a label
            ts = self._post_once(request, None, 0, text=text)
        self.store.record_thread(request.key, ts)
        self.store.record_part_posted(request.key, 0)
        return ts

    def _post_in_thread(self, request: SummaryRequest, thread_ts: str, messages: list[SlackMessage]) -> None:
        progress = self.store.progress(request.key)
        posted = progress.parts_posted if progress else 0
        if progress and progress.in_doubt and self._found(request, thread_ts, posted):
            posted += 1
            self.store.record_part_posted(request.key, posted)
        pending = list(messages[posted:])
        while pending:
            message = pending.pop(0)
            try:
                self._post_once(request, thread_ts, posted, **message.as_kwargs())
            except DeliveryError as exc:
                if exc.error not in TOO_BIG or len(message.blocks) < 2:
                    raise
                log.info("Slack refused a reply part (%s); posting it in two halves", exc.error)
                pending[:0] = halve(message)
                continue
            posted += 1
            self.store.record_part_posted(request.key, posted)

    def _post_once(self, request: SummaryRequest, thread_ts: str | None, number: int, **message) -> str:
        """Post message ``number`` of the reply (in the channel when ``thread_ts`` is None); its ts.

        The store holds it as "sending" until Slack answers, so a worker that dies meanwhile leaves the
        next one a reason to look first. A refusal means nothing was posted; no answer means look now.
        """
        self.store.record_sending(request.key, number)
        try:
            return self._call(
                channel=request.channel,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata=tag(request, PARENT if thread_ts is None else PART, number),
                **message,
            )
        except FateUnknown:
            if found := self._found(request, thread_ts, number):
                log.info("request %s: Slack had posted message %d after all", request.key, number)
                return found
            self.store.record_part_posted(request.key, number)
            raise
        except DeliveryError:
            self.store.record_part_posted(request.key, number)
            raise

    def _found(self, request: SummaryRequest, thread_ts: str | None, number: int) -> str | None:
        """The ts of message ``number`` if Slack holds it, from its metadata; None if it is not there.

        Reads only what was posted since the request came (less the clock skew), page by page. A read
        Slack cannot take now (429 past the SDK's waits, an outage) leaves the message "sending" for a
        later try: posting it blind could post it twice. A read Slack will never allow (a missing
        scope) cannot tell, and a reply posted twice is better than none.
        """
        wanted = tag(request, PARENT if thread_ts is None else PART, number)
        created = self.store.created_at(request.key)
        args = {
            "channel": request.channel,
            "oldest": f"{created.timestamp() - CLOCK_SKEW:.6f}" if created else "0",
            "include_all_metadata": True,
            "limit": READ_PAGE,
        }
        read = self.client.conversations_history if thread_ts is None else self.client.conversations_replies
        if thread_ts is not None:
            args["ts"] = thread_ts
        cursor = None
        while True:
            try:
                page = read(**args, cursor=cursor)
            except SlackApiError as exc:
                error = as_delivery_error(exc)
                if error.transient:
                    raise error from exc
                log.warning("request %s: cannot look for a reply whose fate is unknown (%s)", request.key, error.error)
                return None
            except (OSError, HTTPException) as exc:
                raise DeliveryError("Slack is having trouble right now; I'll try again.", error="connection",
                                    transient=True) from exc
            for message in page.get("messages", []):
                metadata = message.get("metadata") or {}
                if {k: metadata.get(k) for k in wanted} == wanted:
                    return message["ts"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not (page.get("has_more") and cursor):
                return None

    def _call(self, **args) -> str:
        try:
            return self.client.chat_postMessage(**args)["ts"]
        except SlackApiError as exc:
            error = exc.response.get("error") or f"http_{exc.response.status_code}"
            if exc.response.status_code in FATE_UNKNOWN_STATUS or error in FATE_UNKNOWN_ERRORS:
                raise FateUnknown(error) from exc
            raise as_delivery_error(exc) from exc
        except (OSError, HTTPException) as exc:
            if fate_unknown(exc):
                raise FateUnknown(type(exc).__name__) from exc
            raise DeliveryError("Slack is having trouble right now; I'll try again.", error="connection",
                                transient=True) from exc

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
        """Automatic mode met a link already summarized in this channel: point to it, in the new thread.

        One try: a pointer whose answer is lost is not looked for (the read is rate limited) nor re-sent.
        """
        link = self._permalink(request.channel, thread_ts)
        where = f"<{link}|earlier in this channel>" if link else "earlier in this channel"
        try:
            self._call(
                channel=request.channel,
                thread_ts=request.thread_ts,
                text=f"This link was summarized {where}.",
                unfurl_links=False,
                unfurl_media=False,
                metadata=tag(request, PART, 0),
            )
        except DeliveryError as exc:
            log.info("could not point to the earlier summary: %s", exc.error)
        self.store.finish(request.key, Status.POSTED)

    def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            return self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
        except SlackApiError:
            return None


def respond(response_url: str, messages: list[SlackMessage]) -> None:
    """Slack lets a response_url be used five times in 30 minutes: never use more."""
    hook = WebhookClient(response_url)
    for message in messages[:5]:
        response = hook.send(response_type="ephemeral", **message.as_kwargs())
        if response.status_code >= 400:
            raise DeliveryError("Slack refused the reply.", error=f"http_{response.status_code}")


def tell_without_token(request: SummaryRequest, reason: str) -> None:
    """A request no installation answers can still be answered through a command's response_url: it needs
    no token. Other requests have no such way; the log line for an admin is all there is."""
    if not request.response_url:
        return
    try:
        respond(request.response_url, [render_failure(reason, request.url)])
    except (DeliveryError, OSError, HTTPException) as exc:
        log.warning("request %s: could not answer through response_url either (%s)", request.key, exc)


def halve(message: SlackMessage) -> list[SlackMessage]:
    """Split a message Slack found too big at a block boundary, keeping the fallback text honest."""
    middle = len(message.blocks) // 2
    halves = [message.blocks[:middle], message.blocks[middle:]]
    return [replace(message, blocks=half, text=message_text(half, 3900) or message.text[:3000]) for half in halves]


def tag(request: SummaryRequest, event_type: str, number: int) -> dict:
    """The message metadata that lets a post be found again: which request, which message of its reply."""
    return {"event_type": event_type, "event_payload": {"request": request.key, "part": number}}


def fate_unknown(error: BaseException | None) -> bool:
    """The request went out whole and no answer came back (closed, reset, timed out while waiting).

    urllib wraps what fails while connecting or sending in URLError: such a request never reached
    Slack in full, and Slack acts on none but whole requests.
    """
    return isinstance(error, (OSError, HTTPException)) and not isinstance(error, URLError)


def _is_post(request) -> bool:
    return urlsplit(request.url).path.endswith("/chat.postMessage")


class _ConnectionRetry(ConnectionErrorRetryHandler):
    """Retries dropped connections, except a post that may have landed."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if _is_post(request) and fate_unknown(error):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


class _ServerErrorRetry(ServerErrorRetryHandler):
    """Retries 500 and 503, except a post answered 500 (it may have landed)."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if _is_post(request) and response is not None and response.status_code in FATE_UNKNOWN_STATUS:
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


def retry_handlers() -> list[RetryHandler]:
    """The SDK's own retries: 429s (Slack did nothing, and says when to come back), 5xx and dropped
    connections, but never a chat.postMessage whose fate is unknown: :class:`Delivery` looks first."""
    return [
        _ConnectionRetry(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        _ServerErrorRetry(max_retry_count=2),
    ]


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
