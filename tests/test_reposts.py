"""A post whose answer is lost is looked for, never blindly re-posted: Slack carrying out chat.postMessage
and the connection closing before its answer leaves each thread with its summary once.

The app tags every message it posts with metadata (the request and the message's number) and, only
when a post's fate is unknown, reads the thread with include_all_metadata to see whether it landed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from bot.app import web_client
from bot.deliver import PART, Delivery, tag
from bot.request import SummaryRequest
from bot.store import Store
from tests.fixtures.app import DONE, failures, running_app, summaries, wait_until_finished
from tests.fixtures.slack_payloads import event_payload, summarize_command

ARTICLE = "/news/plain-article"


def post_link(slack_app, slack_api, url: str) -> dict:
    """A person posts ``url``: the message is in Slack (where the app's reads find its thread), then its event."""
    payload = event_payload("event_callback.message.bare_link.json", link=url, ts=slack_api.next_ts())
    event = payload["event"]
    slack_api.add_message(event["channel"], event["ts"], text=event["text"], user=event["user"])
    assert slack_app.send.event(payload).status_code == 200
    return event


def thread_messages(slack_api, channel: str, thread_ts: str) -> list[dict]:
    """What Slack holds in the thread, whatever the app was told."""
    return [m for m in slack_api.messages[channel].values() if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]


def summary_headers(messages: list[dict]) -> list[dict]:
    return [m for m in messages if (m.get("blocks") or [{}])[0].get("type") == "header"]


def test_every_message_the_app_posts_carries_its_request_and_number_in_metadata(slack_app, slack_api, web_site):
    event = post_link(slack_app, slack_api, web_site.url(ARTICLE))
    wait_until_finished(slack_api, event["channel"], event["ts"])

    (post,) = slack_api.calls("chat.postMessage")
    assert post.args["metadata"]["event_type"] == "summary_part"
    assert post.args["metadata"]["event_payload"]["part"] == 0
    assert len(post.args["metadata"]["event_payload"]["request"]) == 40
    assert slack_api.calls("conversations.replies") == []  # nothing was in doubt: nothing read


def test_a_post_slack_carried_out_but_whose_answer_was_lost_is_found_and_not_posted_again(slack_app, slack_api,
                                                                                         web_site):
    slack_api.drop_answers("chat.postMessage")

    event = post_link(slack_app, slack_api, web_site.url(ARTICLE))

    assert wait_until_finished(slack_api, event["channel"], event["ts"]) == {DONE}
    (post,) = slack_api.calls("chat.postMessage")  # the SDK did not retry it either
    assert post.dropped
    (read,) = slack_api.calls("conversations.replies")
    assert read.args["ts"] == event["ts"] and read.args["include_all_metadata"] in (True, "1", "true")
    assert len(summary_headers(thread_messages(slack_api, event["channel"], event["ts"]))) == 1


def test_six_lost_answers_over_ten_links_leave_ten_summaries_and_no_duplicate(slack_app, slack_api, web_site):
    slack_api.drop_answers("chat.postMessage", times=6)

    events = [post_link(slack_app, slack_api, web_site.url(ARTICLE) + f"?n={n}") for n in range(10)]

    for event in events:
        assert wait_until_finished(slack_api, event["channel"], event["ts"]) == {DONE}
    per_thread = Counter(m["thread_ts"] for e in events for m in summary_headers(
        thread_messages(slack_api, e["channel"], e["ts"])))
    assert sorted(per_thread.values()) == [1] * 10
    assert sum(c.dropped for c in slack_api.calls("chat.postMessage")) == 6
    assert len(slack_api.calls("conversations.replies")) == 6  # one read per lost answer, none otherwise
    assert failures(slack_api) == []


def test_a_lost_answer_for_a_post_slack_did_not_make_posts_it_after_looking(slack_app, slack_api, web_site):
    """HTTP 500 from a gateway: maybe posted, maybe not. Here not: the app looks, then posts it once."""
    slack_api.server_error("chat.postMessage", 500)

    event = post_link(slack_app, slack_api, web_site.url(ARTICLE))

    assert wait_until_finished(slack_api, event["channel"], event["ts"]) == {DONE}
    assert [c.status for c in slack_api.calls("chat.postMessage")] == [500, 200]
    assert len(slack_api.calls("conversations.replies")) == 1
    assert len(summaries(slack_api)) == 1


def test_a_rate_limited_look_waits_for_retry_after_and_posts_nothing_twice(slack_app, slack_api, web_site):
    slack_api.drop_answers("chat.postMessage")
    slack_api.rate_limit("conversations.replies", times=1, retry_after=1)

    event = post_link(slack_app, slack_api, web_site.url(ARTICLE))

    assert wait_until_finished(slack_api, event["channel"], event["ts"]) == {DONE}
    assert [c.status for c in slack_api.calls("conversations.replies")] == [429, 200]
    assert len(slack_api.calls("chat.postMessage")) == 1
    assert len(summary_headers(thread_messages(slack_api, event["channel"], event["ts"]))) == 1


def test_a_look_rate_limited_past_every_wait_leaves_the_request_for_later_and_posts_nothing_twice(
    slack_app, slack_api, web_site
):
    """The SDK waits out three 429s; the fourth leaves the message "sending": the next try looks again."""
    slack_api.drop_answers("chat.postMessage")
    slack_api.rate_limit("conversations.replies", times=4, retry_after=0)

    event = post_link(slack_app, slack_api, web_site.url(ARTICLE))

    assert wait_until_finished(slack_api, event["channel"], event["ts"]) == {DONE}
    assert [c.status for c in slack_api.calls("conversations.replies")] == [429, 429, 429, 429, 200]
    assert len(slack_api.calls("chat.postMessage")) == 1
    assert len(summary_headers(thread_messages(slack_api, event["channel"], event["ts"]))) == 1


def test_a_summarize_parent_whose_answer_was_lost_is_found_in_the_channel_and_the_summary_follows_once(
    app_settings, slack_api, web_site
):
    slack_api.drop_answers("chat.postMessage")  # the parent message
    with running_app(app_settings) as slack_app:
        slack_app.send.command(summarize_command(web_site.url(ARTICLE), response_url=slack_api.response_url("c")))

        (summary,) = slack_api.wait_for(lambda: summaries(slack_api), timeout=15)

    parents = [m for m in slack_api.messages[summary["channel"]].values() if m["text"].startswith("Summary of ")]
    assert len(parents) == 1 and summary["thread_ts"] == parents[0]["ts"]
    (read,) = slack_api.calls("conversations.history")
    assert read.args["include_all_metadata"] in (True, "1", "true")
    assert parents[0]["metadata"]["event_type"] == "summary_thread"


@pytest.fixture
def delivery(app_settings, slack_api) -> Iterator[Delivery]:
    store = Store(app_settings.effective_database_url)
    yield Delivery(web_client(app_settings), store)
    store.close()


def a_request_in_a_thread(slack_api, delivery: Delivery) -> SummaryRequest:
    ts = slack_api.add_message("C1", text="<http://127.0.0.1/a>")
    request = SummaryRequest(url="http://127.0.0.1/a", team_id="T1", channel="C1", user=None, door="message",
                             thread_ts=ts, source_ts=ts)
    delivery.store.claim(request)
    return request


def test_a_worker_that_died_after_sending_leaves_the_next_run_looking_and_not_posting_again(slack_api, delivery):
    """The store marks a message "sending" before it goes out; a worker killed before the answer leaves
    that mark, and the next run looks in the thread before anything else."""
    request = a_request_in_a_thread(slack_api, delivery)
    delivery.store.record_sending(request.key, 0)
    slack_api.add_message("C1", thread_ts=request.thread_ts, text="the reply Slack took",
                          metadata=tag(request, PART, 0), user=slack_api.workspace.bot_user_id)

    delivery.failure(request, "the page could not be read")

    assert slack_api.calls("chat.postMessage") == [] and len(slack_api.calls("conversations.replies")) == 1
    progress = delivery.store.progress(request.key)
    assert (progress.parts_posted, progress.in_doubt) == (1, False)


def test_a_message_left_sending_that_slack_never_got_is_posted_once_after_looking(slack_api, delivery):
    request = a_request_in_a_thread(slack_api, delivery)
    delivery.store.record_sending(request.key, 0)

    delivery.failure(request, "the page could not be read")

    (post,) = slack_api.calls("chat.postMessage")
    assert post.args["thread_ts"] == request.thread_ts and len(slack_api.calls("conversations.replies")) == 1
    assert delivery.store.progress(request.key).parts_posted == 1
