"""`python -m bot doctor`: is this install healthy? One line a check, and exit 1 if any failed.

`run`, `serve` and `worker` run the quick subset (:func:`require_healthy`: the Slack token, Socket Mode
for `run`, the database) before they start, so a mistake is one line naming what to fix instead of a
traceback from deep inside Bolt or waitress.

Every failure names the variable to fix. Secrets are never printed, nor passwords in URLs.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.errors import InputError
from bot.oauth import BOT_SCOPES

OK, FAIL, SKIP, INFO = "ok", "FAIL", "skip", "info"
SLACK_TIMEOUT = 10  # seconds; Slack answers auth.test in well under one
UNREACHABLE = (OSError, http.client.HTTPException)  # DNS, refused connection, TLS, timeout, a garbled answer
REFUSED_TOKEN = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}

# slack_sdk logs every failed connection at ERROR: the check says it once, in plain words.
_quiet = logging.getLogger("bot.doctor.slack_sdk")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok, FAIL, skip (does not apply here), info (nothing to pass or fail)
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == FAIL


def run(settings: Settings) -> list[Check]:
    """Every check, in the order an operator would fix them."""
    checks = [check_settings(settings), *check_slack(settings), check_socket_mode(settings)]
    return checks + [check_database(settings), check_redis(settings), check_model(settings), fetch_policy(settings)]


def require_healthy(settings: Settings, *, socket_mode: bool = False) -> None:
    """The quick subset before the app starts: raise InputError with the first failure's line."""
    token, scopes = check_slack(settings)
    socket = check_socket_mode(settings) if socket_mode else None
    quick = [token, socket, open_database(settings), check_redis(settings)]
    for check in quick:
        if check is not None and check.failed:
            raise InputError(check.detail)
    if scopes.failed:  # the app still works in part: say what is missing, and start
        logging.getLogger("bot").warning("%s", scopes.detail)


def table(checks: Iterable[Check]) -> str:
    checks = list(checks)
    width = max([len("check")] + [len(check.name) for check in checks])
    lines = [f"{'check':<{width}}  status  detail"]
    lines += [f"{check.name:<{width}}  {check.status:<6}  {check.detail}" for check in checks]
    return "\n".join(lines)


# -- the checks --------------------------------------------------------------------------------------


def check_settings(settings: Settings) -> Check:
    """Settings that parse may still not fit together."""
    from bot.app import require_credentials  # bot.app runs these checks at start: imported late

    try:
        require_credentials(settings, http=False)
    except InputError as exc:
        return Check("settings", FAIL, exc.message)
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        missing = "SLACK_CLIENT_SECRET" if settings.slack_client_id else "SLACK_CLIENT_ID"
        return Check("settings", FAIL, f"{missing} is not set: the OAuth install flow needs both")
    if settings.summarizer_backend == "openai" and not settings.openai_api_key:
        return Check("settings", FAIL, "SUMMARIZER_BACKEND=openai needs OPENAI_API_KEY")
    mode = "OAuth installs" if settings.slack_client_id else "one workspace"
    queue = "Redis" if settings.redis_url else "embedded"
    return Check("settings", OK, f"valid: {mode}, {settings.resolved_backend} summarizer, {queue} queue")


def check_slack(settings: Settings) -> tuple[Check, Check]:
    """auth.test with SLACK_BOT_TOKEN, and whether the scopes Slack says it holds cover manifest.yml's."""
    if not settings.slack_bot_token:
        why = "not set: tokens come from OAuth installations" if settings.slack_client_id else "SLACK_BOT_TOKEN not set"
        return Check("slack token", SKIP, why), Check("slack scopes", SKIP, why)
    client = _slack(settings, settings.slack_bot_token.get_secret_value())
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        if error in REFUSED_TOKEN:
            detail = (f"SLACK_BOT_TOKEN was refused by Slack ({error}): copy the Bot User OAuth Token (xoxb-...) "
                      "from your app's OAuth & Permissions page")
        else:
            detail = f"SLACK_BOT_TOKEN: auth.test failed ({error})"
        return Check("slack token", FAIL, detail), Check("slack scopes", SKIP, "no working token")
    except UNREACHABLE as exc:
        return Check("slack token", FAIL, _unreachable(settings, exc)), Check("slack scopes", SKIP, "Slack unreachable")
    who = f"{response.get('team')} ({response.get('team_id')}) as bot {response.get('user_id')}"
    token = Check("slack token", OK, who)
    return token, _scopes(response.headers)


def _scopes(headers: dict) -> Check:
    granted_header = next((value for name, value in headers.items() if name.lower() == "x-oauth-scopes"), None)
    if granted_header is None:
        return Check("slack scopes", SKIP, "Slack did not say which scopes the token holds")
    granted = {scope.strip() for scope in str(granted_header).split(",") if scope.strip()}
    missing = [scope for scope in BOT_SCOPES if scope not in granted]
    if missing:
        return Check("slack scopes", FAIL, f"SLACK_BOT_TOKEN lacks the scopes {', '.join(missing)}: add them "
                     "under OAuth & Permissions (as in manifest.yml) and reinstall the app")
    return Check("slack scopes", OK, f"all {len(BOT_SCOPES)} scopes of manifest.yml granted")


def check_socket_mode(settings: Settings) -> Check:
    if not settings.slack_app_token:
        return Check("socket mode", SKIP, "SLACK_APP_TOKEN not set (`run` needs it; `serve` does not)")
    client = _slack(settings, settings.slack_app_token.get_secret_value())
    try:
        client.apps_connections_open(app_token=settings.slack_app_token.get_secret_value())
    except SlackApiError as exc:
        error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        if error == "not_allowed_token_type":
            return Check("socket mode", FAIL, "SLACK_APP_TOKEN is not an app-level token: create one (xapp-...) "
                         "with connections:write under Basic Information")
        return Check("socket mode", FAIL, f"SLACK_APP_TOKEN was refused by Slack ({error}): create an app-level "
                     "token (xapp-...) with connections:write, and turn Socket Mode on")
    except UNREACHABLE as exc:
        return Check("socket mode", FAIL, _unreachable(settings, exc))
    return Check("socket mode", OK, "apps.connections.open handed out a WebSocket URL")


def check_database(settings: Settings) -> Check:
    """Reachable, and at the newest migration. Read only: doctor never creates or migrates anything."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from bot.store import _driver_url, migration_config

    url, shown = _driver_url(settings.effective_database_url), _hide_password(settings.effective_database_url)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return Check("database", SKIP, f"{shown} not created yet: the first `run`, `serve` or `worker` creates it")
    head = ScriptDirectory.from_config(migration_config()).get_current_head()
    engine = create_engine(url, connect_args={"connect_timeout": 5} if url.startswith("postgresql") else {})
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except Exception as exc:
        return Check("database", FAIL, f"DATABASE_URL: cannot open {shown} ({_first_line(exc)})")
    finally:
        engine.dispose()
    if current != head:
        return Check("database", FAIL, f"{shown} is at migration {current or 'none'}, not {head}: "
                     "start `run`, `serve` or `worker` once (they migrate it)")
    return Check("database", OK, f"{shown} at migration {head}")


def open_database(settings: Settings) -> Check:
    """What the app does at start: open the store, which creates and migrates it."""
    from bot.store import Store

    try:
        Store(settings.effective_database_url).close()
    except Exception as exc:
        shown = _hide_password(settings.effective_database_url)
        return Check("database", FAIL, f"DATABASE_URL: cannot open {shown} ({_first_line(exc)})")
    return Check("database", OK, "migrated")


def check_redis(settings: Settings) -> Check:
    if not settings.redis_url:
        return Check("redis", SKIP, "REDIS_URL not set: the queue is a SQLite file in DATA_DIR")
    shown = _hide_password(settings.redis_url)
    try:
        import redis
    except ImportError:
        return Check("redis", FAIL, "REDIS_URL is set but the redis package is missing: pip install redis")
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        return Check("redis", FAIL, f"REDIS_URL: cannot reach {shown} ({_first_line(exc)})")
    finally:
        client.close()
    return Check("redis", OK, f"{shown} answers")


def check_model(settings: Settings) -> Check:
    """One request for one token: the key, the model name and the server, for a fraction of a cent."""
    if not settings.openai_api_key:
        return Check("model", SKIP, "OPENAI_API_KEY not set: the offline extractive summarizer is used")
    import openai

    client = openai.OpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url or "https://api.openai.com/v1",
        timeout=min(settings.openai_timeout, 30.0),
        max_retries=0,
    )
    model = settings.openai_model
    try:
        response = _one_token(client, model)
    except openai.AuthenticationError:
        return Check("model", FAIL, "OPENAI_API_KEY was refused by the model server")
    except openai.NotFoundError:
        return Check("model", FAIL, f"OPENAI_MODEL {model!r} does not exist on the model server (OPENAI_BASE_URL)")
    except openai.APIStatusError as exc:
        return Check("model", FAIL, f"OPENAI_MODEL {model!r}: the model server answered HTTP {exc.status_code}")
    except openai.APIConnectionError as exc:
        server = settings.openai_base_url or "https://api.openai.com/v1"
        return Check("model", FAIL, f"OPENAI_BASE_URL: cannot reach {server} ({_first_line(exc)})")
    except openai.OpenAIError as exc:
        return Check("model", FAIL, f"OPENAI_MODEL {model!r}: unreadable answer ({_first_line(exc)})")
    usage = getattr(response, "usage", None)
    prompt, completion = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
    cost = settings.model_cost(prompt, completion)
    return Check("model", OK, f"{model} answered: {prompt} + {completion} tokens, about ${cost:.6f}")


def _one_token(client, model: str):
    import openai

    ping = [{"role": "user", "content": "Reply with OK."}]
    try:
        return client.chat.completions.create(model=model, messages=ping, max_completion_tokens=1)
    except openai.BadRequestError:  # a server that predates max_completion_tokens: ask the old way
        return client.chat.completions.create(model=model, messages=ping, max_tokens=1)


def fetch_policy(settings: Settings) -> Check:
    allowed = ", ".join(settings.fetch_allow_hosts)
    where = f"public addresses, and FETCH_ALLOW_HOSTS: {allowed}" if allowed else "public addresses only"
    limits = (f"{settings.fetch_timeout:g} s a read, {settings.fetch_deadline:g} s in all, "
              f"{settings.fetch_max_bytes // 1000:,} KB, {settings.fetch_max_redirects} redirects")
    return Check("fetch policy", INFO, f"{where}; {limits}")


# -- helpers -----------------------------------------------------------------------------------------


def _slack(settings: Settings, token: str) -> WebClient:
    """No retries: a check answers in seconds, and says what went wrong the first time."""
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=SLACK_TIMEOUT, logger=_quiet)


def _unreachable(settings: Settings, exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    return f"cannot reach Slack at {settings.slack_api_url} ({_first_line(reason)}): check the network or SLACK_API_URL"


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def _first_line(exc: object) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
