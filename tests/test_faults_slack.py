"""When Slack fails the app: whatever chat.postMessage answers (429, `ratelimited`, 5xx, a channel the
app may not post in, a reply too big, a revoked token, an outage), the person who asked gets the summary
once (after retries) or one clear reason where one can reach them, nothing is posted twice, and the
worker goes on serving the next link. (429 once, msg_too_long once, not_in_channel and channel_not_found
for /summarize: test_slack_delivery_failures.py and test_slack_command.py.)"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.fixtures.app import DONE, FAILED, failures, post_link, posted, running_app, summaries, wait_until_finished
from tests.fixtures.slack_payloads import summarize_command

ARTICLE = "/news/plain-article"


def summarize(slack_app, slack_api, url: str):
    return slack_app.send.command(summarize_command(url, response_url=slack_api.response_url("command")))


def nothing_posted_twice(slack_api) -> None:
    seen = Counter((p["channel"], p.get("thread_ts"), p["text"]) for p in posted(slack_api))
    assert [message for message, times in seen.items() if times > 1] == []


def still_serving(slack_app, slack_api, web_site) -> None:
    """The next link anyone posts is summarized: the fault did not take a worker down with it."""
    before = len(summaries(slack_api))
    event = post_link(slack_app, slack_api, web_site.url("/news/short-article"))
    assert wait_until_finished(slack_api, event["channel"], event["ts"]) == {DONE}
    assert len(summaries(slack_api)) == before + 1


TRANSIENT = {
    "429 with Retry-After, past the SDK's own retries": lambda api: api.rate_limit("chat.postMessage", 4, 0),
    "ratelimited in a 200 body": lambda api: api.fail("chat.postMessage", "ratelimited"),
    "HTTP 500, past the SDK's own retries": lambda api: api.server_error("chat.postMessage", 500, times=3),
    "HTTP 503, past the SDK's own retries": lambda api: api.server_error("chat.postMessage", 503, times=3),
    "HTTP 502 (the SDK does not retry it)": lambda api: api.server_error("chat.postMessage", 502),
    "internal_error": lambda api: api.fail("chat.postMessage", "internal_error"),
    "service_unavailable": lambda api: api.fail("chat.postMessage", "service_unavailable"),
    "request_timeout": lambda api: api.fail("chat.postMessage", "request_timeout"),
}


@pytest.mark.parametrize("fault", TRANSIENT)
def test_a_transient_refusal_is_retried_and_the_summary_posted_once(fault, slack_app, slack_api, web_site):
    TRANSIENT[fault](slack_api)

    event = post_link(slack_app, slack_api, web_site.url(ARTICLE))

    assert wait_until_finished(slack_api, event["channel"], event["ts"]) == {DONE}
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == event["ts"] and failures(slack_api) == []
    nothing_posted_twice(slack_api)
    still_serving(slack_app, slack_api, web_site)


@pytest.mark.parametrize("fault", ["ratelimited", "internal_error"])
def test_a_summarize_parent_refused_for_a_while_is_posted_once_with_its_summary(fault, slack_app, slack_api,
                                                                                  web_site):
    slack_api.fail("chat.postMessage", fault)

    summarize(slack_app, slack_api, web_site.url(ARTICLE))

    (summary,) = slack_api.wait_for(lambda: summaries(slack_api), timeout=15)
    parents = [p for p in posted(slack_api) if p["text"].startswith("Summary of ")]
    assert len(parents) == 1 and summary["thread_ts"]
    nothing_posted_twice(slack_api)
    still_serving(slack_app, slack_api, web_site)


CANNOT_POST = ["not_in_channel", "channel_not_found", "is_archived", "token_revoked", "restricted_action"]


@pytest.mark.parametrize("refusal", CANNOT_POST)
def test_a_channel_thread_the_app_may_not_post_in_ends_with_a_warning_reaction_and_no_retries(
    refusal, slack_app, slack_api, web_site
):
    """Nowhere to write the reason: the link's message gets the warning reaction, where Slack allows it."""
    slack_api.fail("chat.postMessage", refusal, times=2)  # the summary, then the reason

    event = post_link(slack_app, slack_api, web_site.url(ARTICLE))

    assert wait_until_finished(slack_api, event["channel"], event["ts"], FAILED) == {FAILED}
    assert [c.error for c in slack_api.calls("chat.postMessage")] == [refusal, refusal]  # tried once each
    assert posted(slack_api) == []
    still_serving(slack_app, slack_api, web_site)


@pytest.mark.parametrize("refusal", ["is_archived", "token_revoked", "restricted_action"])
def test_a_summarize_the_app_may_not_post_gets_the_summary_through_response_url(refusal, slack_app, slack_api,
                                                                                 web_site):
    slack_api.fail("chat.postMessage", refusal)

    summarize(slack_app, slack_api, web_site.url(ARTICLE))

    (answer,) = slack_api.wait_for(lambda: slack_api.responses("command"), timeout=15)
    assert answer["response_type"] == "ephemeral" and answer["blocks"][0]["type"] == "header"
    assert [c.error for c in slack_api.calls("chat.postMessage")] == [refusal] and posted(slack_api) == []
    still_serving(slack_app, slack_api, web_site)


def test_a_summarize_failure_the_app_may_not_post_gets_its_reason_through_response_url(slack_app, slack_api,
                                                                                      web_site):
    slack_api.fail("chat.postMessage", "not_in_channel")

    summarize(slack_app, slack_api, web_site.url("/status/404"))

    (answer,) = slack_api.wait_for(lambda: slack_api.responses("command"), timeout=15)
    assert answer["text"].startswith(":warning: I couldn't summarize") and "HTTP 404" in answer["text"]
    assert posted(slack_api) == []


@pytest.mark.parametrize("refusal", ["invalid_blocks", "msg_blocks_too_long"])
def test_a_reply_slack_finds_too_big_or_invalid_is_posted_in_halves_once(refusal, slack_app, slack_api, web_site):
    slack_api.fail("chat.postMessage", refusal)

    event = post_link(slack_app, slack_api, web_site.url(ARTICLE))

    wait_until_finished(slack_api, event["channel"], event["ts"])
    refused, *halves = slack_api.calls("chat.postMessage")
    assert refused.error == refusal and [c.error for c in halves] == [None, None]
    assert [block for call in halves for block in call.args["blocks"]] == refused.args["blocks"]
    nothing_posted_twice(slack_api)
    still_serving(slack_app, slack_api, web_site)


def test_a_reply_too_long_at_every_size_ends_with_the_reason_and_nothing_twice(slack_app, slack_api, web_site):
    """Halving stops when a single block is refused; then the reason is posted (a short message Slack takes)."""
    event = post_link(slack_app, slack_api, web_site.url("/news/short-article"))  # the no-fault baseline
    wait_until_finished(slack_api, event["channel"], event["ts"])
    (baseline,) = slack_api.calls("chat.postMessage")
    slack_api.fail("chat.postMessage", "msg_too_long", times=refusals_down_to_one_block(len(baseline.args["blocks"])))

    event = post_link(slack_app, slack_api, web_site.url("/news/short-article") + "?again=1")

    assert wait_until_finished(slack_api, event["channel"], event["ts"], FAILED) == {FAILED}
    (failure,) = failures(slack_api)
    assert failure["thread_ts"] == event["ts"] and "msg_too_long" in failure["text"]
    nothing_posted_twice(slack_api)


def refusals_down_to_one_block(blocks: int) -> int:
    """The whole reply, then its first half, its first half's first half ... down to one block."""
    refusals = 1
    while blocks > 1:
        blocks //= 2
        refusals += 1
    return refusals


def test_a_slack_outage_while_posting_ends_with_the_summary_once_slack_is_back(slack_app, slack_api, web_site):
    event = post_link(slack_app, slack_api, web_site.url(ARTICLE))
    slack_api.outage()  # the ack went through; the worker meets the outage when it posts

    slack_api.wait_for(lambda: len([c for c in slack_api.calls("chat.postMessage") if c.status == 503]) >= 3,
                       timeout=15)  # the SDK's own retries are spent: only the queue's retry can post it
    slack_api.recover()

    assert wait_until_finished(slack_api, event["channel"], event["ts"]) == {DONE}
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == event["ts"] and failures(slack_api) == []
    nothing_posted_twice(slack_api)
    still_serving(slack_app, slack_api, web_site)


def test_a_slack_outage_during_summarize_posts_one_parent_and_one_summary_after_it(slack_app, slack_api,
                                                                                   web_site):
    summarize(slack_app, slack_api, web_site.url(ARTICLE))
    slack_api.outage()

    slack_api.wait_for(lambda: len([c for c in slack_api.calls("chat.postMessage") if c.status == 503]) >= 3,
                       timeout=15)
    slack_api.recover()

    (summary,) = slack_api.wait_for(lambda: summaries(slack_api), timeout=15)
    parents = [p for p in posted(slack_api) if p["text"].startswith("Summary of ")]
    assert len(parents) == 1 and slack_api.responses("command") == []
    nothing_posted_twice(slack_api)
    still_serving(slack_app, slack_api, web_site)


def test_an_outage_longer_than_every_retry_is_answered_by_the_reaper_once_slack_is_back(app_settings, slack_api,
                                                                                        web_site):
    patient = app_settings.model_copy(update={"job_retries": 1, "job_stranded_after": 1.0})
    with running_app(patient) as slack_app:
        event = post_link(slack_app, slack_api, web_site.url(ARTICLE))
        slack_api.outage()
        slack_api.wait_for(lambda: len([c for c in slack_api.calls("chat.postMessage") if c.status == 503]) >= 6,
                           timeout=20)  # the SDK's retries and the queue's are all spent, and more
        slack_api.recover()

        assert wait_until_finished(slack_api, event["channel"], event["ts"]) == {DONE}
        (summary,) = summaries(slack_api)
        assert summary["thread_ts"] == event["ts"] and failures(slack_api) == []
        nothing_posted_twice(slack_api)
