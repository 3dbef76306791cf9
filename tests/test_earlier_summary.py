"""A link posted again in a channel where it was already summarized gets a pointer to the earlier
summary, in the new message's thread, instead of a second summary (automatic mode only)."""

from __future__ import annotations

from tests.fixtures.app import post_link, posted, summaries, wait_until_finished
from tests.fixtures.slack_payloads import CHANNEL, event_payload, summarize_command

OTHER_CHANNEL = "C0OTHER001"
ARTICLE = "/news/plain-article"


def summarized(app, slack_api, url: str, channel: str = CHANNEL) -> dict:
    """A person posts ``url`` and waits for its summary; returns the message event."""
    event = post_link(app, slack_api, url, channel=channel)
    wait_until_finished(slack_api, channel, event["ts"])
    return event


def pointers(slack_api) -> list[dict]:
    return [post for post in posted(slack_api) if post["text"].startswith("This link was summarized")]


def test_the_same_link_posted_again_gets_a_pointer_to_the_earlier_thread(
    openai_app, openai_server, slack_api, web_site
):
    url = web_site.url(ARTICLE)
    first = summarized(openai_app, slack_api, url)
    model_calls, fetches = len(openai_server.requests), web_site.hits(ARTICLE)

    again = post_link(openai_app, slack_api, url)

    (pointer,) = slack_api.wait_for(lambda: pointers(slack_api))
    (permalink,) = slack_api.calls("chat.getPermalink")
    assert (permalink.args["channel"], permalink.args["message_ts"]) == (CHANNEL, first["ts"])
    link = f"https://jadeapptesting.slack.com/archives/{CHANNEL}/p{first['ts'].replace('.', '')}"
    assert pointer["text"] == f"This link was summarized <{link}|earlier in this channel>."
    assert (pointer["channel"], pointer["thread_ts"]) == (CHANNEL, again["ts"])
    assert len(summaries(slack_api)) == 1
    assert len(openai_server.requests) == model_calls and web_site.hits(ARTICLE) == fetches


def test_the_pointer_is_posted_once_when_slack_redelivers_the_event(slack_app, slack_api, web_site):
    url = web_site.url(ARTICLE)
    summarized(slack_app, slack_api, url)
    again = event_payload("event_callback.message.bare_link.json", link=url, ts=slack_api.next_ts())
    slack_app.send.event(again)
    slack_api.wait_for(lambda: pointers(slack_api))

    slack_app.send.event(again, retry_num=1)  # Slack did not see our 200 in time
    summarized(slack_app, slack_api, web_site.url(ARTICLE + "?edition=2"))  # later work, handled after

    assert len(pointers(slack_api)) == 1


def test_the_same_link_in_another_channel_is_summarized_normally(openai_app, openai_server, slack_api, web_site):
    url = web_site.url(ARTICLE)
    summarized(openai_app, slack_api, url)
    model_calls = len(openai_server.requests)

    elsewhere = summarized(openai_app, slack_api, url, channel=OTHER_CHANNEL)

    assert [(s["channel"], s["thread_ts"]) for s in summaries(slack_api)][-1] == (OTHER_CHANNEL, elsewhere["ts"])
    assert pointers(slack_api) == [] and slack_api.calls("chat.getPermalink") == []
    assert len(summaries(slack_api)) == 2
    assert len(openai_server.requests) >= model_calls  # (the summary cache may answer without the model)


def test_a_different_link_in_the_same_channel_is_summarized(slack_app, slack_api, web_site):
    summarized(slack_app, slack_api, web_site.url(ARTICLE))

    summarized(slack_app, slack_api, web_site.url(ARTICLE + "?edition=2"))

    assert len(summaries(slack_api)) == 2 and pointers(slack_api) == []


def test_a_link_whose_summary_failed_is_summarized_when_posted_again(slack_app, slack_api, web_site):
    failed = post_link(slack_app, slack_api, web_site.url("/status/404"))
    wait_until_finished(slack_api, CHANNEL, failed["ts"], reaction="warning")

    again = post_link(slack_app, slack_api, web_site.url("/status/404"))

    wait_until_finished(slack_api, CHANNEL, again["ts"], reaction="warning")
    assert pointers(slack_api) == []


def test_the_same_link_posted_in_its_own_summary_thread_is_not_summarized_again(slack_app, slack_api, web_site):
    url = web_site.url(ARTICLE)
    first = summarized(slack_app, slack_api, url)

    reply = post_link(slack_app, slack_api, url, thread_ts=first["ts"])
    later = summarized(slack_app, slack_api, web_site.url(ARTICLE + "?edition=2"))  # handled after the reply

    assert [s["thread_ts"] for s in summaries(slack_api)] == [first["ts"], later["ts"]]
    assert pointers(slack_api) == []  # the summary is right there in the thread
    assert slack_api.reactions[(CHANNEL, reply["ts"])] == set()


def test_asking_with_the_command_summarizes_even_a_link_summarized_before(slack_app, slack_api, web_site):
    url = web_site.url(ARTICLE)
    summarized(slack_app, slack_api, url)

    slack_app.send.command(summarize_command(url, response_url=slack_api.response_url("command")))

    slack_api.wait_for(lambda: len(summaries(slack_api)) == 2, timeout=15)
    assert pointers(slack_api) == []
