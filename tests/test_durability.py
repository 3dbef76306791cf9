"""Work survives the worker: a job whose worker is killed mid-way is finished by another worker and
answered exactly once; a job queued twice runs once; the summary cache spares the model a second call.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.jobs import Queue
from bot.request import SummaryRequest
from bot.store import Status, Store
from tests.fixtures.app import DONE, RunningApp, post_link, posted, running_app, summaries, wait_until_finished
from tests.fixtures.openai_server import FakeOpenAIServer
from tests.fixtures.services import BotLauncher, process_env
from tests.fixtures.slack import FakeSlack
from tests.fixtures.web import WebSite

CHANNEL = "C043YJGBY49"


@pytest.fixture
def slow_model() -> Iterator[FakeOpenAIServer]:
    """A model slow enough that a kill lands while the worker waits for it."""
    with FakeOpenAIServer(latency=1.5) as server:
        yield server


def openai_env(server: FakeOpenAIServer) -> dict[str, str]:
    return {
        "summarizer_backend": "openai",
        "openai_api_key": "sk-test-not-a-real-key",
        "openai_base_url": server.base_url,
        "openai_model": server.model,
        "openai_max_retries": "0",
    }


def link_request(url: str, ts: str) -> SummaryRequest:
    return SummaryRequest(
        url=url, team_id="T043DB835ML", channel=CHANNEL, user="U1", door="message", thread_ts=ts, source_ts=ts
    )


def test_a_job_whose_worker_is_killed_is_finished_by_another_worker_and_answered_once(
    shared_settings: Settings,
    shared_store: Store,
    bot: BotLauncher,
    slack_api: FakeSlack,
    web_site: WebSite,
    slow_model: FakeOpenAIServer,
) -> None:
    ts = slack_api.add_message(CHANNEL, text="a link")
    request = link_request(web_site.url("/news/short-article?crash=1"), ts)
    worker_env = process_env(shared_settings) | openai_env(slow_model) | {"job_lease": "2", "job_stranded_after": "3"}
    Queue(shared_settings, shared_store).submit(request)

    doomed = bot.worker(**worker_env)
    bot.wait_for(slack_api, lambda: slow_model.in_flight, timeout=30)  # mid-job: waiting for the model
    doomed.kill()
    assert posted(slack_api) == []

    bot.worker(**worker_env)
    bot.wait_for(slack_api, lambda: DONE in slack_api.reactions[(CHANNEL, ts)], timeout=30)
    (reply,) = posted(slack_api)
    assert reply["thread_ts"] == ts and summaries(slack_api) == [reply]
    assert len(slow_model.requests) == 2  # the killed try, then the one that finished
    assert shared_store.progress(request.key).status == Status.POSTED


def test_a_worker_killed_while_slack_posts_its_summary_leaves_exactly_one_summary(
    shared_settings: Settings, shared_store: Store, bot: BotLauncher, slack_api: FakeSlack, web_site: WebSite
) -> None:
    """Slack carried out chat.postMessage, the worker died before the answer came: the next run looks
    in the thread (message metadata) and finds it, rather than posting the summary again."""
    ts = slack_api.add_message(CHANNEL, text="a link")
    request = link_request(web_site.url("/news/short-article?killed-posting=1"), ts)
    worker_env = process_env(shared_settings) | {"job_lease": "2", "job_stranded_after": "3"}
    slack_api.hold_answers("chat.postMessage")
    Queue(shared_settings, shared_store).submit(request)

    doomed = bot.worker(**worker_env)
    bot.wait_for(slack_api, lambda: slack_api.held == 1, timeout=30)  # posted; the answer is held back
    doomed.kill()
    slack_api.release_answers()

    bot.worker(**worker_env)
    bot.wait_for(slack_api, lambda: DONE in slack_api.reactions[(CHANNEL, ts)], timeout=30)
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == ts
    parts = [post["metadata"]["event_payload"] for post in posted(slack_api)]
    assert len(parts) == len({tuple(sorted(part.items())) for part in parts})  # no message posted twice
    assert shared_store.progress(request.key).status == Status.POSTED


def test_a_worker_killed_while_slack_posts_a_commands_thread_parent_leaves_one_thread_and_one_summary(
    shared_settings: Settings, shared_store: Store, bot: BotLauncher, slack_api: FakeSlack, web_site: WebSite
) -> None:
    """/summarize's answer opens with a parent message in the channel: found again in the channel's history."""
    request = SummaryRequest(url=web_site.url("/news/short-article?killed-parent=1"), team_id="T043DB835ML",
                             channel=CHANNEL, user="U1", door="command", response_url=slack_api.response_url())
    worker_env = process_env(shared_settings) | {"job_lease": "2", "job_stranded_after": "3"}
    slack_api.hold_answers("chat.postMessage")
    Queue(shared_settings, shared_store).submit(request)

    doomed = bot.worker(**worker_env)
    bot.wait_for(slack_api, lambda: slack_api.held == 1, timeout=30)
    doomed.kill()
    slack_api.release_answers()

    bot.worker(**worker_env)
    bot.wait_for(slack_api, lambda: shared_store.progress(request.key).status == Status.POSTED, timeout=30)
    parents = [post for post in posted(slack_api) if "thread_ts" not in post]
    (summary,) = summaries(slack_api)
    assert len(parents) == 1 and summary["thread_ts"] == shared_store.progress(request.key).thread_ts


def test_a_request_queued_again_while_it_runs_is_answered_once(
    app_settings: Settings, slack_api: FakeSlack, web_site: WebSite
) -> None:
    """As when the reaper puts back a request a slow worker still holds: the lease lets one run."""
    ts = slack_api.add_message(CHANNEL, text="a link")
    request = link_request(web_site.url("/news/plain-article?twice=1"), ts)
    with running_app(app_settings) as app:
        app.ctx.queue.submit(request)
        app.ctx.queue.requeue(request)
        app.ctx.queue.requeue(request)
        wait_until_finished(slack_api, CHANNEL, ts)
        slack_api.wait_for(lambda: app.ctx.queue.huey.pending_count() == 0)
    # leaving the app joined the workers: every run of the three is over
    (reply,) = posted(slack_api)
    assert reply["thread_ts"] == ts


# -- the summary cache --------------------------------------------------------------------------------
@pytest.fixture
def openai_app(app_settings: Settings, openai_server: FakeOpenAIServer) -> Iterator[RunningApp]:
    """The app with the OpenAI backend pointed at the fake, so model calls can be counted."""
    update = {
        "summarizer_backend": "openai",
        "openai_api_key": SecretStr("sk-test-not-a-real-key"),
        "openai_base_url": openai_server.base_url,
        "openai_model": openai_server.model,
    }
    with running_app(app_settings.model_copy(update=update)) as app:
        yield app


def summarize_in(app: RunningApp, slack_api: FakeSlack, url: str, channel: str) -> dict:
    """Post ``url`` in ``channel`` and return the summary it got."""
    event = post_link(app, slack_api, url, channel=channel)
    wait_until_finished(slack_api, channel, event["ts"])
    return next(post for post in summaries(slack_api) if post["thread_ts"] == event["ts"])


def test_a_link_summarized_before_is_answered_from_the_cache_without_a_model_call(
    openai_app: RunningApp, slack_api: FakeSlack, web_site: WebSite, openai_server: FakeOpenAIServer
) -> None:
    url = web_site.url("/news/short-article?cache=1")
    first = summarize_in(openai_app, slack_api, url, "C0000000001")
    calls = len(openai_server.requests)
    second = summarize_in(openai_app, slack_api, url, "C0000000002")  # another channel: no "see above" pointer
    assert calls >= 1 and len(openai_server.requests) == calls
    shown = [[b for b in post["blocks"] if b["type"] != "actions"] for post in (first, second)]  # each its own button
    assert shown[1] == shown[0]


def test_a_changed_article_is_summarized_again(
    openai_app: RunningApp, slack_api: FakeSlack, web_site: WebSite, openai_server: FakeOpenAIServer
) -> None:
    url = web_site.url("/news/changing")
    first = summarize_in(openai_app, slack_api, url, "C0000000001")
    calls = len(openai_server.requests)
    second = summarize_in(openai_app, slack_api, url, "C0000000002")
    assert len(openai_server.requests) == 2 * calls
    assert second["blocks"] != first["blocks"]
