"""Files shared in Slack: summarized in their thread, downloaded only from Slack's file URL with the bot token."""

from __future__ import annotations

import requests

from bot.config import Settings
from bot.slack_files import allowed_origins, file_id, sources
from tests.fixtures.app import failures, summaries, wait_until_finished
from tests.fixtures.slack import BOT_TOKEN, GRANTED_SCOPES, FileDownload
from tests.fixtures.slack_payloads import CHANNEL, event_payload, interaction_payload
from tests.fixtures.web import PDF_DIR

REACTOR = "U0REACTOR1"
GOOGLE_DOC = PDF_DIR / "google-doc-document.pdf"
NOTES = "\n\n".join(
    f"Item {n}: the harbour barrier closed twice this week and reopened after repairs." for n in range(9)
)


def upload(slack_api, name: str = "report.pdf", data: bytes | None = None, mimetype: str = "application/pdf",
           filetype: str = "pdf", **fields) -> tuple[str, dict]:
    """A person shares a file (a ``file_share`` message); returns the message ts and the file object."""
    file = slack_api.add_file(name, GOOGLE_DOC.read_bytes() if data is None else data, mimetype, filetype, **fields)
    ts = slack_api.add_message(CHANNEL, text="", subtype="file_share", files=[file], upload=True)
    return ts, file


def react(slack_app, ts: str) -> None:
    payload = event_payload("event_callback.reaction_added.docs.json", user=REACTOR, reaction="memo",
                            item={"type": "message", "channel": CHANNEL, "ts": ts}, item_user="U043H11ES4V")
    assert slack_app.send.event(payload).status_code == 200


def test_a_pdf_uploaded_and_reacted_to_with_memo_is_summarized_in_its_thread(slack_app, slack_api):
    ts, file = upload(slack_api)

    react(slack_app, ts)

    wait_until_finished(slack_api, CHANNEL, ts)
    (summary,) = summaries(slack_api)
    assert (summary["channel"], summary["thread_ts"]) == (CHANNEL, ts)
    assert summary["blocks"][0]["text"]["text"].startswith("PDF Example Document")
    assert [call.args["file"] for call in slack_api.calls("files.info")] == [file["id"]]


def test_the_file_is_fetched_only_from_its_slack_url_with_the_bot_token(slack_app, slack_api):
    ts, file = upload(slack_api)

    react(slack_app, ts)

    wait_until_finished(slack_api, CHANNEL, ts)
    path = "/" + file["url_private_download"].split("/", 3)[3]
    assert slack_api.downloads == [FileDownload(path, BOT_TOKEN, served=True)]


def test_a_file_shared_where_automatic_mode_is_on_is_summarized(slack_app, slack_api):
    file = slack_api.add_file("notes.md", NOTES.encode(), "text/markdown", "markdown")
    payload = event_payload("event_callback.message.bare_link.json", text="notes from today", subtype="file_share",
                            files=[file], ts=slack_api.next_ts())

    assert slack_app.send.event(payload).status_code == 200

    event = payload["event"]
    wait_until_finished(slack_api, event["channel"], event["ts"])
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == event["ts"]


def test_an_image_shared_in_automatic_mode_is_left_alone(slack_app, slack_api, web_site):
    photo = slack_api.add_file("photo.png", b"\x89PNG\r\n\x1a\n", "image/png", "png")
    shared = event_payload("event_callback.message.bare_link.json", text="look", subtype="file_share",
                           files=[photo], ts=slack_api.next_ts())
    link = event_payload("event_callback.message.bare_link.json", link=web_site.url("/news/plain-article"),
                         ts=slack_api.next_ts())

    slack_app.send.event(shared)
    slack_app.send.event(link)

    wait_until_finished(slack_api, CHANNEL, link["event"]["ts"])
    assert [s["thread_ts"] for s in summaries(slack_api)] == [link["event"]["ts"]]
    assert failures(slack_api) == [] and slack_api.calls("files.info") == []


def test_the_shortcut_on_a_message_with_a_file_summarizes_it(slack_app, slack_api):
    file = slack_api.add_file("notes.txt", NOTES.encode(), "text/plain", "text")
    payload = interaction_payload("interactivity.message_action.json", response_url=slack_api.response_url("s"),
                                  text="", channel=CHANNEL, message_ts=slack_api.next_ts(),
                                  callback_id="summarize_message")
    payload["message"]["files"] = [file]

    assert slack_app.send.interaction(payload).status_code == 200

    wait_until_finished(slack_api, CHANNEL, payload["message"]["ts"])
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == payload["message"]["ts"]


def test_a_mention_in_a_file_s_thread_summarizes_the_file(slack_app, slack_api):
    ts, _ = upload(slack_api)
    payload = event_payload("event_callback.app_mention.docs.json", text="<@U0442US8QGH> please", channel=CHANNEL,
                            ts=slack_api.next_ts(), thread_ts=ts)

    assert slack_app.send.event(payload).status_code == 200

    wait_until_finished(slack_api, CHANNEL, ts)
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == ts


# --- one clear reason --------------------------------------------------------------------------------


def reason_for(slack_app, slack_api, ts: str) -> str:
    react(slack_app, ts)
    (failure,) = slack_api.wait_for(lambda: failures(slack_api), timeout=10)
    assert failure["thread_ts"] == ts and summaries(slack_api) == []
    return failure["text"]


def test_a_file_of_a_type_the_app_does_not_read_gets_one_reason(slack_app, slack_api):
    ts, _ = upload(slack_api, "photo.png", b"\x89PNG\r\n\x1a\n", "image/png", "png")

    text = reason_for(slack_app, slack_api, ts)

    assert "photo.png is an image; I can summarize PDF, text, Markdown and HTML files." in text
    assert slack_api.downloads == []


def test_a_file_too_large_is_refused_before_any_download(slack_app, slack_api):
    ts, _ = upload(slack_api, size=50_000_000)

    assert "report.pdf is too large to summarize (over 5 MB)" in reason_for(slack_app, slack_api, ts)
    assert slack_api.downloads == []


def test_without_files_read_the_reason_names_the_permission(slack_app, slack_api):
    slack_api.grant(BOT_TOKEN, tuple(scope for scope in GRANTED_SCOPES if scope != "files:read"))
    ts, _ = upload(slack_api)

    assert "needs the files:read permission" in reason_for(slack_app, slack_api, ts)
    assert slack_api.downloads == []


def test_a_file_deleted_before_it_is_read_gets_one_reason(slack_app, slack_api):
    ts, file = upload(slack_api)
    del slack_api.files[file["id"]]

    assert "That file is gone, or this app has no access to it." in reason_for(slack_app, slack_api, ts)


def test_the_token_is_never_sent_to_a_host_that_is_not_slacks(slack_app, slack_api, web_site):
    before = web_site.hits("/echo/headers")
    ts, _ = upload(slack_api, url_private_download=web_site.url("/echo/headers"))

    assert "somewhere other than Slack" in reason_for(slack_app, slack_api, ts)
    assert web_site.hits("/echo/headers") == before


# --- which files, which hosts ----------------------------------------------------------------------------


def test_a_message_s_links_come_before_its_files_within_the_limit():
    file = {"id": "F1", "permalink": "https://t.slack.com/files/U1/F1/a.pdf", "filetype": "pdf"}
    message = {"text": "<https://example.com/a> <https://example.com/b>", "files": [file, file | {"id": "F2"}]}
    assert sources(message, limit=3) == [
        "https://example.com/a", "https://example.com/b", "https://t.slack.com/files/U1/F1/a.pdf",
    ]


def test_a_file_link_names_its_file_and_nothing_else_does():
    assert file_id("https://team.slack.com/files/U1/F0123ABC/report.pdf") == "F0123ABC"
    assert file_id("https://example.com/files/U1/F0123ABC/report.pdf") is None
    assert file_id("https://team.slack.com/archives/C1/p123") is None


def test_a_file_object_cut_short_still_names_its_file():
    """Slack Connect sends ``"file_access": "check_file_info"`` and no URLs: files.info tells the rest."""
    (link,) = sources({"files": [{"id": "F0SHORT1", "file_access": "check_file_info", "filetype": "pdf"}]})
    assert file_id(link) == "F0SHORT1"


def test_the_fake_slack_serves_a_file_only_to_a_token_that_may_read_files(slack_api):
    file = slack_api.add_file("notes.txt", NOTES.encode(), "text/plain", "text")
    url = file["url_private_download"]

    anonymous = requests.get(url, timeout=5)
    with_token = requests.get(url, headers={"Authorization": f"Bearer {BOT_TOKEN}"}, timeout=5)

    assert anonymous.headers["Content-Type"] == "text/html" and b"Sign in" in anonymous.content
    assert with_token.content == NOTES.encode()
    assert [download.served for download in slack_api.downloads] == [False, True]


def test_files_come_only_from_files_slack_com_or_the_api_host():
    settings = Settings(_env_file=None, slack_api_url="http://127.0.0.1:8123/api/")
    assert allowed_origins(settings) == {("files.slack.com", 443), ("127.0.0.1", 8123)}
