"""When Slack pushes back on a reply: rate limits are waited out and oversized parts are split, and in
every case the summary arrives once, whole. (`not_in_channel` for /summarize: test_slack_command.py.)"""

from __future__ import annotations

from tests.fixtures.app import post_link, summaries, wait_until_finished


def test_a_rate_limited_reply_is_retried_after_retry_after_and_posted_once(slack_app, slack_api, web_site):
    slack_api.rate_limit("chat.postMessage", retry_after=1)

    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"))
    channel, ts = event["channel"], event["ts"]

    wait_until_finished(slack_api, channel, ts)
    assert [c.status for c in slack_api.calls("chat.postMessage")] == [429, 200]
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == ts


def test_a_reply_part_slack_finds_too_long_is_posted_in_halves_and_nothing_twice(slack_app, slack_api, web_site):
    slack_api.fail("chat.postMessage", "msg_too_long")

    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"))
    channel, ts = event["channel"], event["ts"]

    wait_until_finished(slack_api, channel, ts)
    refused, *posted = slack_api.calls("chat.postMessage")
    assert refused.error == "msg_too_long" and len(posted) == 2
    assert [block for call in posted for block in call.args["blocks"]] == refused.args["blocks"]
    assert all(call.args["thread_ts"] == ts and call.args["text"] for call in posted)
