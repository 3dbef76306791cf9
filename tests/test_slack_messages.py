"""Door 1: a link posted in a conversation where the app is gets a summary in that message's thread."""

from __future__ import annotations

from tests.fixtures.slack_payloads import event_body

BARE_LINK = "event_callback.message.bare_link.json"


def test_a_posted_link_is_summarized_in_its_thread(slack_app, slack_api, web_site):
    body = event_body(BARE_LINK, link=web_site.url("/news/plain-article"))
    response = slack_app.send.event(body)
    assert response.status_code == 200
    posts = slack_api.wait_for(lambda: [p for p in slack_api.posts() if p.get("blocks")], timeout=20)
    import json

    event = json.loads(body)["event"]
    assert all(p["thread_ts"] == event["ts"] and p["channel"] == event["channel"] for p in posts)
