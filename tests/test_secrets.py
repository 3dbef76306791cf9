"""No secret leaves the app: the bot token, app token, signing secret and OpenAI key appear in no log line
(DEBUG included, every library's) and in nothing posted to Slack, whether the app runs in this process,
as `python -m bot serve --verbose`, `python -m bot run -v` or `python -m bot summarize --verbose`."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.fixtures.app import failures, post_link, running_app, summaries, wait_until_finished
from tests.fixtures.services import BotProcess, bot_env, free_port, wait_until_healthy
from tests.fixtures.slack import APP_TOKEN, BOT_TOKEN
from tests.fixtures.slack_payloads import CHANNEL, SIGNING_SECRET, SlackSender, event_payload, summarize_command

OPENAI_KEY = "sk-canary-0f5e2d9a7b3c4e1f"
# The middle of each secret, too: a log that cuts or masks a secret's ends still must not show its body.
SECRETS = {"bot token": BOT_TOKEN, "app token": APP_TOKEN, "signing secret": SIGNING_SECRET, "OpenAI key": OPENAI_KEY}
NEEDLES = {f"{name}{part}": needle for name, secret in SECRETS.items()
           for part, needle in (("", secret), (" (middle)", secret[6:-4]))}


def leaked(text: str) -> list[str]:
    return [name for name, needle in NEEDLES.items() if needle in text]


def everything_slack_received(slack_api) -> str:
    calls = [str(call.args) for call in slack_api.calls()]
    return "\n".join(calls + [str(slack_api.responses(name)) for name in ("command", "default")])


# -- in this process, every logger at DEBUG -------------------------------------------------------------
@pytest.fixture
def secret_settings(app_settings, openai_server):
    return app_settings.model_copy(update={
        "summarizer_backend": "openai",
        "openai_api_key": SecretStr(OPENAI_KEY),
        "openai_base_url": openai_server.base_url,
        "openai_model": openai_server.model,
        "openai_timeout": 5.0,
        "openai_max_retries": 0,
    })


def test_a_full_flow_logs_and_posts_no_secret_even_at_debug(secret_settings, slack_api, web_site, caplog):
    caplog.set_level(logging.DEBUG)
    with running_app(secret_settings) as app:
        event = post_link(app, slack_api, web_site.url("/news/plain-article"))  # a summary from the OpenAI fake
        wait_until_finished(slack_api, event["channel"], event["ts"])
        app.send.command(summarize_command(web_site.url("/news/short-article"),
                                           response_url=slack_api.response_url("command")))
        failed = post_link(app, slack_api, web_site.url("/status/404"))  # a failure reply
        wait_until_finished(slack_api, failed["channel"], failed["ts"], "warning")
        slack_api.wait_for(lambda: len(summaries(slack_api)) == 2, timeout=15)
        impostor = SlackSender(app.url, secret="not-the-signing-secret")  # Bolt logs refused requests
        assert impostor.command(b"command=/summarize&text=help").status_code == 401
        impostor.close()

    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert len(caplog.records) > 50 and failures(slack_api)  # the flow ran and was logged in detail
    assert leaked(logged) == []
    assert leaked(everything_slack_received(slack_api)) == []


# -- real processes --------------------------------------------------------------------------------------
@pytest.fixture
def process_env(slack_api, openai_server, tmp_path: Path) -> dict[str, str]:
    return bot_env(slack_api.api_url, tmp_path / "data", slack_app_token=APP_TOKEN, summarizer_backend="openai",
                   openai_api_key=OPENAI_KEY, openai_base_url=openai_server.base_url,
                   openai_model=openai_server.model, openai_max_retries="0")


@pytest.fixture
def start(process_env, tmp_path: Path) -> Iterator:
    """Start `python -m bot <args>`; every process is stopped at teardown (SIGINT, then SIGKILL)."""
    started: list[BotProcess] = []

    def run(*args: str) -> BotProcess:
        log = tmp_path / f"bot-{len(started)}-{args[0]}.log"
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "bot", *args], env=process_env, cwd=tmp_path,
                                       stdout=out, stderr=subprocess.STDOUT)
        started.append(BotProcess(process, log))
        return started[-1]

    yield run
    for bot in started:
        stop(bot)


def stop(bot: BotProcess) -> str:
    if bot.process.poll() is None:
        bot.process.send_signal(signal.SIGINT)
        try:
            bot.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            bot.kill()
    return bot.output()


def test_serve_verbose_logs_no_secret(start, slack_api, web_site):
    port = free_port()
    bot = start("serve", "--verbose", "--host", "127.0.0.1", "--port", str(port), "--workers", "1")
    bot.url = f"http://127.0.0.1:{port}"
    wait_until_healthy(bot)
    sender = SlackSender(bot.url)
    payload = event_payload("event_callback.message.bare_link.json", link=web_site.url("/news/plain-article"),
                            ts=slack_api.next_ts())
    assert sender.event(payload).status_code == 200
    assert SlackSender(bot.url, secret="wrong").event(payload).status_code == 401
    sender.close()

    wait_until_finished(slack_api, CHANNEL, payload["event"]["ts"])
    output = stop(bot)
    assert "DEBUG" in output and "POST /slack/events" in output  # verbose: debug logs and the access log
    assert leaked(output) == []
    assert leaked(everything_slack_received(slack_api)) == []


def test_run_verbose_in_socket_mode_logs_no_secret(start, slack_api, web_site):
    bot = start("run", "-v")
    slack_api.socket_mode.wait_for_connection(timeout=30)
    payload = event_payload("event_callback.message.bare_link.json", link=web_site.url("/news/plain-article"),
                            ts=slack_api.next_ts())

    slack_api.socket_mode.wait_for_ack(slack_api.socket_mode.send_event(payload))

    wait_until_finished(slack_api, CHANNEL, payload["event"]["ts"])
    output = stop(bot)
    assert "DEBUG" in output
    assert leaked(output) == []


def test_summarize_verbose_logs_no_secret(process_env, web_site, tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "summarize", web_site.url("/news/plain-article"),
                             "--verbose"], env=process_env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)

    assert result.returncode == 0, result.stderr
    assert "DEBUG" in result.stderr
    assert leaked(result.stdout + result.stderr) == []
