"""Every setting, read once from the environment and `.env`, validated, passed in.

Nothing else in the project reads ``os.environ``: build one :class:`Settings` at the edge
(``python -m bot ...`` or a test fixture) and hand it down.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Backend = Literal["auto", "openai", "extractive"]
LogFormat = Literal["text", "json"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AllowRule:
    """One FETCH_ALLOW_HOSTS entry: a network or a host name, on any port or on ``port`` only."""

    network: IPNetwork | None = None
    name: str | None = None  # lower case, IDNA (punycode), no trailing dot
    port: int | None = None

    def opens(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int | None) -> bool:
        net = self.network
        return net is not None and ip.version == net.version and ip in net and self._port_ok(port)

    def opens_name(self, name: str, port: int | None) -> bool:
        return self.name is not None and self.name == name and self._port_ok(port)

    def _port_ok(self, port: int | None) -> bool:
        return self.port is None or self.port == port


_BRACKETED = re.compile(r"^\[(?P<host>[^\]]+)\](?::(?P<port>[^:]*))?$")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def parse_allow_entry(entry: str) -> AllowRule:
    """``10.0.0.0/8``, ``fd00::1``, ``wiki.internal``, ``wiki.internal:8080``, ``10.0.0.5:8080``, ``[fd00::1]:8080``.

    Raises ValueError saying what is wrong, so a typo stops startup instead of silently opening or
    closing nothing.
    """
    text = entry.strip()
    if "://" in text:
        raise ValueError("a URL, not a host: list the host name only (with :port to open just that port)")
    if (bracketed := _BRACKETED.match(text)) is not None:
        host, port = bracketed["host"], bracketed["port"]
        try:
            network = ipaddress.IPv6Network(host, strict=False)
        except ValueError:
            raise ValueError(f"{host!r} in brackets is not an IPv6 address or network") from None
        return AllowRule(network=network, port=_port(port) if port is not None else None)
    try:
        return AllowRule(network=ipaddress.ip_network(text, strict=False))
    except ValueError:
        pass
    host, port = text, None
    if text.count(":") == 1:
        host, raw_port = text.split(":")
        port = _port(raw_port)
    elif ":" in text:
        raise ValueError("not an IPv6 address or network (write one with a port as [address]:port)")
    try:
        return AllowRule(network=ipaddress.ip_network(host, strict=False), port=port)
    except ValueError:
        if "/" in host or host.replace(".", "").isdigit():
            raise ValueError("not a valid IP address or network") from None
    return AllowRule(name=_host_name(host), port=port)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{text!r} is not a port number (1-65535)")
    return int(text)


def _host_name(text: str) -> str:
    try:
        name = text.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        name = ""
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError("not a host name, IP address or network")
    return name


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    # A variable set but empty (`SLACK_CLIENT_ID=` in a .env) is unset, everywhere.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    # Summarizer
    summarizer_backend: Backend = "auto"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4.1-mini"
    openai_timeout: float = Field(120.0, gt=0)
    openai_max_retries: int = Field(3, ge=0)
    openai_concurrency: int = Field(4, ge=1)
    openai_context_tokens: int = Field(16_000, ge=2048)  # the model's context window, for splitting long articles

    # The spec
    summary_max_words: int = Field(2000, ge=20)
    summary_paragraphs: int = Field(6, ge=1, le=20)
    summary_language: str | None = None
    summary_source_ratio: float = Field(0.5, gt=0, le=1)

    # Fetching
    fetch_timeout: float = Field(10.0, gt=0)
    fetch_deadline: float = Field(30.0, gt=0)
    fetch_max_bytes: int = Field(5_000_000, ge=1024)
    fetch_max_redirects: int = Field(5, ge=0)
    fetch_allow_hosts: Annotated[list[str], NoDecode] = []
    fetch_per_host: int = Field(2, ge=0)  # requests for one host run at once per worker process; 0 = no limit
    pdf_max_pages: int = Field(300, ge=1)  # a longer PDF is read up to here, with a warning

    # Storage and queue
    data_dir: Path = Path("./data")
    database_url: str | None = None
    redis_url: str | None = None
    worker_threads: int = Field(8, ge=1)
    job_retries: int = Field(5, ge=0)
    job_retry_delay: float = Field(2.0, ge=0)  # doubles on each retry: 2, 4, 8, 16, 32 s
    job_lease: float = Field(60.0, gt=0)  # a worker holds a request this long between heartbeats
    job_stranded_after: float = Field(300.0, gt=0)  # a queued request idle this long is queued again
    job_max_attempts: int = Field(3, ge=1)  # a request that killed its worker this often is failed for good
    job_timeout_retries: int = Field(1, ge=0)  # a page that timed out is tried this many more times
    worker_heartbeat: float = Field(10.0, gt=0)  # a worker process writes it is alive this often
    cache_ttl_hours: float = Field(168.0, ge=0)  # a week; 0 turns the summary cache off
    # How long a summarized article's text is kept to answer questions in its thread (None: the cache's
    # lifetime); once gone, the article is fetched again.
    article_retention_hours: float | None = Field(None, ge=0)
    stream_replies: bool = False  # with OpenAI: stream the summary into the thread (chat.startStream)
    retention_days: float = Field(30.0, gt=0)  # requests, cached articles and summaries, usage: purged after this

    # Operations
    log_format: LogFormat = "text"  # json: one JSON object a line, with the request key
    metrics_port: int = Field(0, ge=0, le=65535)  # `run` and `worker`: serve /metrics on this port (0 = off)

    # Cost guard (0 = off)
    daily_token_budget: int = Field(0, ge=0)  # tokens per workspace per UTC day
    user_rate_limit: int = Field(0, ge=0)  # summaries per user per hour
    openai_price_input: float = Field(0.40, ge=0)  # USD per million prompt tokens, for usage estimates
    openai_price_output: float = Field(1.60, ge=0)  # USD per million completion tokens
    admin_user_ids: Annotated[list[str], NoDecode] = []  # may change workspace defaults besides admins

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_client_id: str | None = None  # with the secret: OAuth install flow for many workspaces
    slack_client_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    summarize_reaction: str = "memo"
    max_links_per_message: int = Field(3, ge=1, le=10)
    seen_links_hours: float = Field(72.0, gt=0)  # how long the links of messages seen are remembered

    @field_validator("fetch_allow_hosts", "admin_user_ids", mode="before")
    @classmethod
    def _parse_allow_hosts(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("fetch_allow_hosts")
    @classmethod
    def _readable_allow_hosts(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            try:
                parse_allow_entry(entry)
            except ValueError as exc:
                raise ValueError(
                    f"FETCH_ALLOW_HOSTS entry {entry!r} cannot be read: {exc}. Each comma-separated entry is a host "
                    "name, an IP address or a CIDR network, optionally with :port ([IPv6]:port)"
                ) from None
        return entries

    @field_validator(
        "openai_api_key",
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "slack_client_secret",
        "slack_client_id",
        mode="before",
    )
    @classmethod
    def _empty_key_is_none(cls, value: object) -> object:
        return value or None

    @field_validator("summarize_reaction", mode="before")
    @classmethod
    def _bare_emoji_name(cls, value: object) -> object:
        return value.strip(":") if isinstance(value, str) else value

    def model_cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Estimated USD for a model call, from OPENAI_PRICE_INPUT and OPENAI_PRICE_OUTPUT (per million tokens)."""
        return (prompt_tokens * self.openai_price_input + completion_tokens * self.openai_price_output) / 1e6

    @property
    def seen_links_for(self) -> timedelta:
        return timedelta(hours=self.seen_links_hours)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'summarizer.db').resolve()}"

    @property
    def resolved_backend(self) -> Literal["openai", "extractive"]:
        """`auto` means OpenAI when a key is set, the offline summarizer otherwise."""
        if self.summarizer_backend == "auto":
            return "openai" if self.openai_api_key else "extractive"
        return self.summarizer_backend

    def allow_rules(self) -> tuple[AllowRule, ...]:
        """FETCH_ALLOW_HOSTS, read: what may be fetched although private, loopback or otherwise special."""
        return tuple(parse_allow_entry(entry) for entry in self.fetch_allow_hosts)


def settings_problems(error: ValidationError) -> list[str]:
    """A pydantic ValidationError as one line a variable: `JOB_LEASE: not a number ('abc')`.

    Secrets are never echoed back.
    """
    lines = []
    for problem in error.errors():
        name = "_".join(str(part) for part in problem["loc"][:1]).upper() or "settings"
        field = Settings.model_fields.get(name.lower())
        secret = field is not None and "SecretStr" in str(field.annotation)
        shown = "" if secret or not isinstance(problem.get("input"), str | int | float) else f" ({problem['input']!r})"
        message = _plain(problem)
        lines.append(message if message.startswith(name) else f"{name}: {message}{shown}")  # validators name it
    return lines


def _plain(problem: dict) -> str:
    kind, context = problem["type"], problem.get("ctx") or {}
    bounds = {"greater_than": "greater than", "greater_than_equal": "at least", "less_than": "less than",
              "less_than_equal": "at most"}
    if kind == "int_parsing" or kind == "int_from_float":
        return "not a whole number"
    if kind == "float_parsing":
        return "not a number"
    if kind == "bool_parsing":
        return "not true or false"
    if kind in bounds:
        limit = next(iter(context.values()), "?")
        limit = f"{limit:g}" if isinstance(limit, float) else limit
        return f"must be {bounds[kind]} {limit}"
    if kind == "literal_error":
        return f"must be one of {context.get('expected', '?')}"
    return str(problem.get("msg", "invalid")).removeprefix("Value error, ")
