"""Shared fixtures. Each fake server lives in its own module under tests/fixtures/."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings

pytest_plugins = [
    "tests.fixtures.web",
    "tests.fixtures.openai_server",
    "tests.fixtures.slack",
    "tests.fixtures.app",
    "tests.fixtures.services",
    "tests.fixtures.installations",
]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's environment, `.env` or data directory."""
    for name in list(__import__("os").environ):
        if name.startswith(("OPENAI_", "SLACK_", "SUMMAR", "FETCH_", "DATABASE_", "REDIS_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Offline settings that may fetch from the loopback test site, and nothing else private."""
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        fetch_allow_hosts=["127.0.0.1"],
        fetch_timeout=5,
        fetch_deadline=10,
    )


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The team's shared folder beside the clone, for the few tests on its benchmark data or its own spec
    checker; everything else the suite needs is vendored under tests/data."""
    if not SHARED.is_dir():
        pytest.skip(f"needs the team's shared/ folder (benchmark data, spec checker), not found at {SHARED}")
    return SHARED


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """Run the CLI in-process with loopback fetches allowed; returns (exit code, stdout, stderr)."""
    from bot.cli import main

    monkeypatch.setenv("FETCH_ALLOW_HOSTS", "127.0.0.1")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run
