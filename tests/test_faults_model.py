"""Failing neighbours on the model side: a summary after retries, or a SummarizeError in plain words with the right
``transient`` flag, never a foreign exception and never an empty summary.

The real ``openai`` client talks to the fake server (tests/fixtures/openai_server.py) over HTTP, reading
whole JSON responses and SSE streams alike. tests/test_openai_summarizer.py already proves 429 with and
without Retry-After, 500 and 503 retried, limits outlasting the retries, a timeout, a stream or response
cut halfway, refusals, empty content, and a proxy's HTML page; this file adds the rest. The summarizer
never asks the model for JSON (it asks for plain prose), so "invalid JSON" here means a response body or
stream event that is not the JSON the API promises.
"""

from __future__ import annotations

import socket

import openai
import pytest

from bot.errors import BotError, SummarizeError
from bot.extract import Article
from bot.spec import SummarySpec
from bot.summarizers.base import Summary
from bot.summarizers.openai import OpenAISummarizer
from tests.fixtures.openai_server import Fail, FakeOpenAIServer, Garbage, Reply, rate_limited, server_error

SPEC = SummarySpec(max_words=120, paragraphs=3)
JARGON = ("Traceback", "JSONDecodeError", "openai.", "Error(", "object at 0x", "{", "}")


@pytest.fixture
def article() -> Article:
    sentences = [
        f"In {1990 + n}, the council of Riverton approved plan {n} after a debate that lasted {n + 2} hours. "
        f"Mayor Elena Ruiz said the plan would cost {n * 3 + 10} million dollars. "
        "Residents asked for more parks, safer streets and a new library near the river."
        for n in range(10)
    ]
    return Article(title="Riverton approves its budget", paragraphs=tuple(sentences), site="Riverton Courier")


@pytest.fixture(params=[False, True], ids=["json", "stream"])
def stream(request) -> bool:
    return request.param


def summarizer_for(base_url: str, *, stream: bool, timeout: float = 5.0, max_retries: int = 2) -> OpenAISummarizer:
    client = openai.OpenAI(api_key="sk-test", base_url=base_url, timeout=timeout, max_retries=max_retries)
    return OpenAISummarizer(client, "fake-gpt", stream=stream)


def outcome(server: FakeOpenAIServer, article: Article, *, stream: bool, **client) -> Summary | BotError:
    """The summary, or the error from the error tree; anything else fails the test."""
    try:
        return summarizer_for(server.base_url, stream=stream, **client).summarize(article, SPEC)
    except BotError as exc:
        assert exc.message.endswith(".") and not any(jargon in exc.message for jargon in JARGON), exc.message
        return exc


def assert_to_spec(got: Summary | BotError) -> None:
    assert isinstance(got, Summary), f"expected a summary, got {got!r}"
    assert len(got.paragraphs) == SPEC.paragraphs and got.word_count <= SPEC.max_words


def assert_error(got: Summary | BotError, words: str, *, transient: bool) -> None:
    assert isinstance(got, SummarizeError), f"expected a SummarizeError, got {got!r}"
    assert words in got.message
    assert got.transient is transient


# --- passing faults end in a summary --------------------------------------------------------------


def test_a_timeout_then_an_answer_gives_a_summary(openai_server, article, stream) -> None:
    openai_server.script(Reply(delay=2))
    assert_to_spec(outcome(openai_server, article, stream=stream, timeout=0.5))
    assert len(openai_server.requests) == 2


@pytest.mark.parametrize("status", [502, 504, 529])
def test_other_server_errors_are_retried_into_a_summary(openai_server, article, stream, status) -> None:
    openai_server.script(server_error(status))
    assert_to_spec(outcome(openai_server, article, stream=stream))


def test_two_different_failures_in_a_row_within_the_retries_still_give_a_summary(openai_server, article, stream):
    openai_server.script(server_error(503), Reply(delay=2))
    assert_to_spec(outcome(openai_server, article, stream=stream, timeout=0.5, max_retries=2))
    assert len(openai_server.requests) == 3


@pytest.mark.parametrize("retry_after", ["soon", "-5", "0", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_an_unusable_retry_after_is_ignored_and_the_retry_succeeds(openai_server, article, stream, retry_after) -> None:
    openai_server.script(rate_limited(retry_after=retry_after))
    assert_to_spec(outcome(openai_server, article, stream=stream))


def test_a_retry_after_of_an_hour_is_not_waited_out(openai_server, article, stream) -> None:
    """The client will not sleep an hour in a worker; the job queue retries later instead."""
    openai_server.script(rate_limited(retry_after="3600"), rate_limited(retry_after="3600"))
    got = outcome(openai_server, article, stream=stream, max_retries=1)
    assert isinstance(got, Summary) or (isinstance(got, SummarizeError) and got.transient)


# --- lasting faults end in a plain, rightly flagged error -------------------------------------------


def test_a_model_server_that_is_down_is_a_transient_error(article, stream) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    summarizer = summarizer_for(f"http://127.0.0.1:{port}/v1", stream=stream, max_retries=1)
    with pytest.raises(SummarizeError, match="Could not reach the model server") as caught:
        summarizer.summarize(article, SPEC)
    assert caught.value.transient


def test_a_bad_request_is_a_permanent_error_naming_the_reason(openai_server, article, stream) -> None:
    openai_server.script(Fail(400, "Invalid value for 'temperature'.", param="temperature"))
    assert_error(outcome(openai_server, article, stream=stream), "Invalid value", transient=False)


NOT_THE_PROMISED_JSON = {
    "broken JSON": Garbage(b'{"id": "x", "choices": [', "application/json"),
    "an empty object": Garbage(b"{}", "application/json"),
    "no choices": Garbage(b'{"choices": []}', "application/json"),
    "a list": Garbage(b"[1, 2]", "application/json"),
    "a bare string": Garbage(b'"hello"', "application/json"),
    "an event that is not JSON": Garbage(b"data: {oops\n\n", "text/event-stream"),
    "an error event": Garbage(b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n',
                              "text/event-stream"),
    "an empty event stream": Garbage(b"", "text/event-stream"),
    "plain text": Garbage(b"upstream connect error or disconnect/reset before headers", "text/plain"),
}  # fmt: skip


@pytest.mark.parametrize("garbage", NOT_THE_PROMISED_JSON.values(), ids=NOT_THE_PROMISED_JSON.keys())
def test_a_body_that_is_not_the_promised_json_is_a_transient_plain_error(openai_server, article, stream, garbage):
    openai_server.script(garbage)
    got = outcome(openai_server, article, stream=stream)
    assert isinstance(got, SummarizeError) and got.transient, repr(got)
    assert "could not be read" in got.message or "dropped mid-reply" in got.message


@pytest.mark.parametrize("text", ["   \n\n  ", "\n"])
def test_blank_content_is_an_empty_summary_error(openai_server, article, stream, text) -> None:
    openai_server.script(Reply(text))
    assert_error(outcome(openai_server, article, stream=stream), "empty summary", transient=True)


REPLIES_WITH_NOTHING_TO_KEEP = {
    "only markdown": "## Summary\n\n---\n\n**Key points:**",
    "only made-up facts": "Profits rose 97 percent in 2031.\n\nSales fell 44 percent.\n\nOn 9 May 2099, 12 left.",
}


@pytest.mark.parametrize("reply", REPLIES_WITH_NOTHING_TO_KEEP.values(), ids=REPLIES_WITH_NOTHING_TO_KEEP.keys())
def test_a_reply_with_nothing_to_keep_is_an_error_not_an_empty_summary(openai_server, article, stream, reply) -> None:
    openai_server.script(Reply(reply), Reply(reply))
    got = outcome(openai_server, article, stream=stream)
    assert_error(got, "none was posted", transient=False)
    assert len(openai_server.requests) == 2  # the draft, and the one corrective request
