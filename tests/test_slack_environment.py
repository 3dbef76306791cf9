"""The app alone reads its settings: a variable set but empty is unset, and Bolt never falls back to the
environment (where `SLACK_CLIENT_ID=` and `SLACK_CLIENT_SECRET=` would switch it to its own file-based OAuth)."""

from __future__ import annotations

import pytest
import requests

from bot.config import Settings
from tests.fixtures.app import post_link, running_app, wait_until_finished


@pytest.fixture
def blank_oauth_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `docker run --env-file` or `export $(cat .env)` give for `SLACK_CLIENT_ID=` lines."""
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.setenv(name, "")


def test_blank_variables_in_a_dot_env_are_unset(tmp_path):
    (tmp_path / ".env").write_text("SLACK_CLIENT_ID=\nSLACK_CLIENT_SECRET=\nSUMMARY_MAX_WORDS=\nSLACK_API_URL=\n")

    settings = Settings(_env_file=tmp_path / ".env")

    assert settings.slack_client_id is None and settings.slack_client_secret is None
    assert settings.summary_max_words == 2000 and settings.slack_api_url == "https://slack.com/api/"


def test_blank_oauth_variables_leave_the_single_workspace_app_alone(
    blank_oauth_environment, app_settings, slack_api, web_site
):
    with running_app(app_settings) as app:
        assert requests.get(f"{app.url}/slack/install", timeout=10).status_code == 404
        event = post_link(app, slack_api, web_site.url("/news/plain-article"))

        wait_until_finished(slack_api, event["channel"], event["ts"])  # not "installation no longer available"


def test_bolt_reads_no_oauth_settings_from_the_environment(monkeypatch, app_settings, slack_api):
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "from-the-environment")

    with running_app(app_settings) as app:  # these Settings name a bot token and no client: one workspace
        assert requests.get(f"{app.url}/slack/install", timeout=10).status_code == 404
