"""The deploy recipes (Dockerfile, compose.yaml, the systemd unit) and .env.example name only commands,
ports and settings that exist. They cannot be built here (no image registry), so they are read as text:
every `python -m bot ...` they run must parse with the real CLI parser, every variable they set must be a
setting, and every port they publish or probe must be the one `serve` listens on."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot import env_example
from bot.cli import build_parser
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {name.upper() for name in Settings.model_fields}
# Read by the interpreter and pip in the image, not by the app.
INTERPRETER_VARIABLES = {
    "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK",
}
HEALTH_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/healthz")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        words = json.loads(self.arguments)
        assert isinstance(words, list), f"{self.keyword} should use the exec form: {self.arguments}"
        return words


def dockerfile() -> list[Instruction]:
    """Instructions of the Dockerfile: comments dropped, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    instructions = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append(Instruction(keyword.upper(), " ".join(arguments.split())))
    return instructions


def instructions(keyword: str) -> list[Instruction]:
    return [i for i in dockerfile() if i.keyword == keyword]


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def app_services() -> dict[str, dict]:
    """The compose services that run this project's image."""
    return {name: service for name, service in compose()["services"].items() if service.get("build") == "."}


def bot_command(words: list[str]):
    """Parses `python -m bot ...` with the real CLI parser; fails the test on anything else."""
    assert words[:3] == ["python", "-m", "bot"], words
    return build_parser().parse_args(words[3:])


def serve_port(words: list[str]) -> int:
    return bot_command(words).port


def test_the_image_is_slim_python_3_11_or_later():
    (base,) = instructions("FROM")
    assert re.fullmatch(r"python:3\.1[1-9]-slim", base.arguments), base.arguments


def test_the_image_installs_the_package_with_an_extra_that_exists():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    installs = [i.arguments for i in instructions("RUN") if i.arguments.startswith("pip install")]
    assert installs == ['pip install ".[deploy]"']
    assert "deploy" in extras


def test_the_image_copies_files_that_exist():
    for copy in instructions("COPY"):
        for source in copy.arguments.split()[:-1]:
            assert (ROOT / source).exists(), source


def test_the_image_runs_as_a_non_root_user_by_default():
    keywords = [i.keyword for i in dockerfile()]
    users = instructions("USER")
    assert users and users[-1].arguments not in {"root", "0"}
    assert keywords.index("USER") < keywords.index("CMD")


def test_the_image_serves_by_default_on_the_port_it_exposes_and_probes():
    (command,) = instructions("CMD")
    args = bot_command(command.exec_form())
    assert args.command == "serve"
    (expose,) = instructions("EXPOSE")
    (health,) = instructions("HEALTHCHECK")
    probe = health.arguments.partition(" CMD ")[2]
    assert HEALTH_URL.search(probe).group(1) == expose.arguments == str(args.port)


def test_the_image_sets_only_settings_and_interpreter_variables():
    names = set()
    for env in instructions("ENV"):
        names |= {pair.split("=", 1)[0] for pair in shlex.split(env.arguments)}
    assert names - INTERPRETER_VARIABLES <= SETTINGS, names - INTERPRETER_VARIABLES - SETTINGS


def test_compose_runs_serve_worker_redis_and_postgres_with_health_checks():
    services = compose()["services"]
    assert set(services) == {"serve", "worker", "postgres", "redis"}
    assert {name: bot_command(s["command"]).command for name, s in app_services().items()} == {
        "serve": "serve", "worker": "worker",
    }
    for name in services:
        assert services[name]["healthcheck"]["test"][0] == "CMD", name


def test_compose_probes_the_worker_with_its_own_liveness_check():
    args = bot_command(app_services()["worker"]["healthcheck"]["test"][1:])
    assert (args.command, args.check) == ("worker", True)


def test_compose_serve_leaves_the_queue_to_the_worker_service():
    assert bot_command(app_services()["serve"]["command"]).no_queue_workers


def test_compose_publishes_and_probes_the_port_serve_listens_on():
    serve = app_services()["serve"]
    port = serve_port(serve["command"])
    assert serve["ports"] == [f"{port}:{port}"]
    probe = " ".join(serve["healthcheck"]["test"])
    assert HEALTH_URL.search(probe).group(1) == str(port)


def test_compose_app_services_read_dotenv_and_set_only_settings():
    for name, service in app_services().items():
        assert service["env_file"] == ".env", name
        assert set(service["environment"]) <= SETTINGS, name


def test_compose_points_the_app_at_its_own_postgres_and_redis():
    services = compose()["services"]
    postgres = services["postgres"]["environment"]
    for service in app_services().values():
        environment = service["environment"]
        database = re.fullmatch(r"postgresql://(\w+):(\S+)@postgres:5432/(\w+)", environment["DATABASE_URL"])
        assert database.group(1, 2, 3) == (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"],
                                           postgres["POSTGRES_DB"])
        assert re.fullmatch(r"redis://redis:6379/\d+", environment["REDIS_URL"])
        assert {name: dep["condition"] for name, dep in service["depends_on"].items()} == {
            "postgres": "service_healthy", "redis": "service_healthy",
        }


def test_the_systemd_unit_runs_socket_mode_with_settings_only():
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str
    unit.read(ROOT / "deploy" / "slack-summarizer.service", encoding="utf-8")
    service = unit["Service"]
    program, *words = shlex.split(service["ExecStart"])
    assert program.endswith("/bin/python")
    assert bot_command(["python", *words]).command == "run"
    assert service["User"] not in {"root", "0"}
    name, _, _ = service["Environment"].partition("=")
    assert name in SETTINGS


def test_env_example_is_generated_from_the_settings():
    """After adding or changing a setting: python -m bot.env_example > .env.example"""
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == env_example.render()


def test_env_example_names_every_setting_with_its_default():
    lines = env_example.render().splitlines()
    assigned = dict(line.removeprefix("# ").split("=", 1) for line in lines if re.match(r"# [A-Z_]+=", line))
    assert set(assigned) == SETTINGS
    assert assigned["SUMMARY_MAX_WORDS"] == "2000"
    assert assigned["SLACK_API_URL"] == "https://slack.com/api/"
    assert assigned["SLACK_BOT_TOKEN"] == ""


@pytest.mark.parametrize("setting", ["OPENAI_API_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"])
def test_a_copy_of_env_example_as_dotenv_changes_nothing(tmp_path: Path, setting: str):
    dotenv = tmp_path / ".env"
    dotenv.write_text(env_example.render(), encoding="utf-8")
    assert Settings(_env_file=dotenv) == Settings(_env_file=None)
    dotenv.write_text(env_example.render().replace(f"# {setting}=", f"{setting}=x"), encoding="utf-8")
    assert getattr(Settings(_env_file=dotenv), setting.lower()).get_secret_value() == "x"
