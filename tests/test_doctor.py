"""`python -m bot doctor` says whether an install is healthy, one line a check, and `run`, `serve` and
`worker` refuse to start on a mistake with one line naming what to fix (never a traceback).

Everything talks over loopback HTTP to the fake Slack and the fake model server.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.oauth import BOT_SCOPES
from bot.store import Store
from tests.fixtures.openai_server import FakeOpenAIServer
from tests.fixtures.services import bot_env
from tests.fixtures.slack import APP_TOKEN, BOT_TOKEN, GRANTED_SCOPES, FakeSlack


@pytest.fixture
def healthy_env(monkeypatch: pytest.MonkeyPatch, slack_api: FakeSlack, openai_server: FakeOpenAIServer,
                tmp_path: Path) -> dict[str, str]:
    """An install whose every part works: token, app token, a migrated database, a model key."""
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": slack_api.api_url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "OPENAI_BASE_URL": openai_server.base_url,
        "OPENAI_MODEL": openai_server.model,
        "FETCH_ALLOW_HOSTS": "127.0.0.1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    Store(f"sqlite:///{tmp_path / 'data' / 'summarizer.db'}").close()  # the app has run once
    return env


def doctor(capsys: pytest.CaptureFixture) -> tuple[int, dict[str, tuple[str, str]]]:
    """Exit status, and each check's (status, detail) by name."""
    status = main(["doctor"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["check", "status", "detail"]
    rows = {}
    for line in lines[1:]:
        name, rest = line[: line.index("  ")], line[line.index("  "):].strip()
        check_status, _, detail = rest.partition("  ")
        rows[name] = (check_status, detail.strip())
    return status, rows


def test_every_check_passes_against_a_healthy_slack_and_model(healthy_env, capsys, openai_server) -> None:
    status, rows = doctor(capsys)

    assert status == 0
    assert {name: row[0] for name, row in rows.items()} == {
        "settings": "ok", "slack token": "ok", "slack scopes": "ok", "socket mode": "ok", "database": "ok",
        "redis": "skip", "model": "ok", "fetch policy": "info",
    }
    assert len(openai_server.requests) == 1 and openai_server.requests[0]["max_completion_tokens"] == 1
    assert "$" in rows["model"][1]  # the one-token request's cost is noted
    assert "127.0.0.1" in rows["fetch policy"][1]


def test_a_token_slack_rejects_fails_naming_SLACK_BOT_TOKEN(healthy_env, capsys, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-mistyped")

    status, rows = doctor(capsys)

    assert status == 1
    assert rows["slack token"][0] == "FAIL"
    assert "SLACK_BOT_TOKEN" in rows["slack token"][1] and "invalid_auth" in rows["slack token"][1]


def test_a_token_missing_a_manifest_scope_fails_naming_the_scope(healthy_env, capsys, slack_api) -> None:
    slack_api.grant(BOT_TOKEN, tuple(scope for scope in GRANTED_SCOPES if scope != "reactions:write"))

    status, rows = doctor(capsys)

    assert status == 1
    assert rows["slack scopes"][0] == "FAIL" and "reactions:write" in rows["slack scopes"][1]


def test_a_bot_token_given_as_the_app_token_fails_naming_SLACK_APP_TOKEN(healthy_env, capsys, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", BOT_TOKEN)

    status, rows = doctor(capsys)

    assert status == 1
    assert rows["socket mode"][0] == "FAIL" and "SLACK_APP_TOKEN" in rows["socket mode"][1]


def test_a_key_the_model_server_refuses_fails_naming_OPENAI_API_KEY(healthy_env, capsys, openai_server) -> None:
    from tests.fixtures.openai_server import bad_key

    openai_server.script(bad_key())

    status, rows = doctor(capsys)

    assert status == 1
    assert rows["model"][0] == "FAIL" and "OPENAI_API_KEY" in rows["model"][1]


def test_a_server_without_max_completion_tokens_is_asked_with_max_tokens(healthy_env, capsys, openai_server) -> None:
    from tests.fixtures.openai_server import Fail

    openai_server.script(Fail(400, "Unrecognized request argument supplied: max_completion_tokens"))

    status, rows = doctor(capsys)

    assert status == 0 and rows["model"][0] == "ok"
    assert [request.get("max_tokens") for request in openai_server.requests] == [None, 1]


def test_an_unreachable_redis_fails_naming_REDIS_URL(healthy_env, capsys, monkeypatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://:secret@127.0.0.1:9/0")

    status, rows = doctor(capsys)

    assert status == 1
    assert rows["redis"][0] == "FAIL" and "REDIS_URL" in rows["redis"][1] and "secret" not in rows["redis"][1]


def test_a_reachable_redis_passes(healthy_env, capsys, monkeypatch, redis_url) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)

    status, rows = doctor(capsys)

    assert status == 0 and rows["redis"][0] == "ok"


def test_the_scopes_doctor_requires_are_the_manifests() -> None:
    assert sorted(BOT_SCOPES) == sorted(GRANTED_SCOPES)


def test_a_bad_number_is_named_with_its_variable(healthy_env, capsys, monkeypatch) -> None:
    monkeypatch.setenv("JOB_LEASE", "abc")

    status, rows = doctor(capsys)

    assert status == 1
    assert rows == {"settings": ("FAIL", "JOB_LEASE: not a number ('abc')")}


# -- run, serve and worker refuse to start, in one line -------------------------------------------------

MISTAKES = {
    "bad token": ({"SLACK_BOT_TOKEN": "xoxb-mistyped"}, "SLACK_BOT_TOKEN was refused by Slack (invalid_auth)"),
    "unreachable Slack": ({"SLACK_API_URL": "http://127.0.0.1:9/api/"}, "cannot reach Slack at http://127.0.0.1:9"),
    "empty OAuth variables": (
        {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": "", "SLACK_CLIENT_SECRET": ""}, "SLACK_BOT_TOKEN is not set"
    ),
    "a bad number": ({"JOB_LEASE": "abc"}, "JOB_LEASE: not a number ('abc')"),
    "unreachable Redis": ({"REDIS_URL": "redis://127.0.0.1:9/0"}, "REDIS_URL: cannot reach redis://127.0.0.1:9/0"),
}


@pytest.mark.parametrize("command", ["run", "serve", "worker"])
@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_startup_mistake_is_one_line_naming_what_to_fix(command, mistake, slack_api, tmp_path) -> None:
    overrides, expected = MISTAKES[mistake]
    env = bot_env(slack_api.api_url, tmp_path / "data", slack_app_token=APP_TOKEN) | overrides
    args = [sys.executable, "-m", "bot", command] + (["--port", "0"] if command == "serve" else [])

    done = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)

    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"error: {done.stderr.removeprefix('error: ').strip()}"]
    assert expected in done.stderr
