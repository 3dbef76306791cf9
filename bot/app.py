"""Build the Bolt app and run it: Socket Mode (`run`), HTTP (`serve`) or queue workers only (`worker`).

app, ctx = build(settings)            # the Bolt app with every door registered
application = wsgi(settings)          # what `serve` (waitress) serves: /slack/events, /healthz and /metrics
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request.internals import parse_body
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.signature import SignatureVerifier

from bot import doctor, metrics, oauth
from bot.cache import SummaryCache
from bot.config import Settings
from bot.deliver import Delivery, retry_handlers
from bot.errors import InputError
from bot.guard import Guard
from bot.jobs import Queue, Worker
from bot.request import SummaryRequest
from bot.spec import SummarySpec
from bot.store import Store, now
from bot.summarizers import make_summarizer
from bot.supervise import Supervisor
from handlers import (
    assistant,
    commands,
    controls,
    evidence,
    home,
    mentions,
    messages,
    reactions,
    seen,
    settings,
    shortcuts,
)

log = logging.getLogger(__name__)

DOORS = (assistant, messages, reactions, commands, mentions, shortcuts, home, settings, controls, evidence)

MAX_BODY_BYTES = 1_000_000  # Slack's requests are a few KB; a big view submission stays far below this
# Bolt takes a signed request whose timestamp is within 5 minutes of its clock, either way: from the
# moment one is let in, the same signature could pass for up to 10 more minutes.
REPLAY_WINDOW = timedelta(minutes=10)
SLACK_RETRIES = ("1", "2", "3")  # X-Slack-Retry-Num of Slack's own redeliveries
# What Bolt and its OAuthSettings read from os.environ when not handed a value. Present but empty, the first
# two alone turn on Bolt's own file-based OAuth; the app hands Bolt every value from its Settings instead.
BOLT_ENVIRONMENT = (
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_VERIFICATION_TOKEN",
    "SLACK_SCOPES",
    "SLACK_USER_SCOPES",
    "SLACK_REDIRECT_URI",
    "SLACK_INSTALL_PATH",
    "SLACK_REDIRECT_URI_PATH",
)


@dataclass(frozen=True)
class Preferences:
    """What applies in one channel: the app's defaults, then the workspace's, then the channel's."""

    auto_mode: bool
    reaction: str
    spec: SummarySpec


@dataclass
class AppContext:
    """What the doors need: settings, the store and the queue. Nothing that makes summaries."""

    settings: Settings
    store: Store
    queue: Queue
    installations: SQLAlchemyInstallationStore | None = None  # OAuth mode: every workspace's token

    def answerable(self, request: SummaryRequest) -> bool:
        """Whether a worker will find a token for the request (Bolt found one; the lookup must agree)."""
        return self.installations is None or oauth.bot_token(self.installations, request.authorization) is not None

    def delivery(self, client: WebClient) -> Delivery:
        return Delivery(client, self.store)

    def preferences(self, team_id: str | None, channel: str | None) -> Preferences:
        values = {
            "auto_mode": True,
            "reaction": self.settings.summarize_reaction,
            "max_words": self.settings.summary_max_words,
            "paragraphs": self.settings.summary_paragraphs,
            "language": self.settings.summary_language,
            "shape": "paragraphs",
        }
        for scope in ("", channel) if channel else ("",):
            overrides = self.store.scope_settings(team_id or "", scope)
            values |= {name: value for name, value in overrides.items() if value is not None}
        spec = SummarySpec(
            max_words=values["max_words"],
            paragraphs=values["paragraphs"],
            language=values["language"],
            source_ratio=self.settings.summary_source_ratio,
            shape=values["shape"],
        )
        return Preferences(auto_mode=values["auto_mode"], reaction=values["reaction"], spec=spec)

    @property
    def guard(self) -> Guard:
        return Guard(self.settings, self.store)

    def earlier_summary(self, request: SummaryRequest) -> str | None:
        """The thread where this link was already summarized in this channel, within the cache's lifetime."""
        if not self.settings.cache_ttl_hours:
            return None
        since = now() - timedelta(hours=self.settings.cache_ttl_hours)
        return self.store.earlier_summary(request.team_id, request.channel, request.url, since)

    def spec_for(self, team_id: str | None, channel: str | None) -> SummarySpec:
        """The spec a request gets when it names none."""
        return self.preferences(team_id, channel).spec


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """Every Web API client the app makes: SLACK_API_URL, and the retries that cannot post twice."""
    return WebClient(
        token=token or _secret(settings.slack_bot_token),
        base_url=settings.slack_api_url,
        retry_handlers=retry_handlers(),
    )


def require_credentials(settings: Settings, *, http: bool) -> None:
    """Missing credentials, said in plain words before anything starts."""
    if not settings.slack_bot_token and not (settings.slack_client_id and settings.slack_client_secret):
        raise InputError(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your app's page "
            "(or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install the app in many workspaces)."
        )
    if http and not settings.slack_signing_secret:
        raise InputError("SLACK_SIGNING_SECRET is not set: HTTP mode must verify that requests come from Slack.")


def build(settings: Settings, *, work: bool = True) -> tuple[App, AppContext]:
    """The Bolt app. With ``work=False`` the process only acks and enqueues (scale-out `serve`)."""
    require_credentials(settings, http=False)
    store = Store(settings.effective_database_url)
    installations = oauth.installation_store(settings, store)
    client = web_client(settings)
    worker = _worker(settings, store, client, installations) if work else None
    ctx = AppContext(settings=settings, store=store, queue=Queue(settings, store, worker), installations=installations)
    if worker:
        worker.resolve = partial(seen.resolve, ctx)
    with _bolt_reads_no_environment():
        app = App(
            client=client,
            signing_secret=_secret(settings.slack_signing_secret) or "",
            request_verification_enabled=settings.slack_signing_secret is not None,
            process_before_response=False,
            oauth_settings=oauth.oauth_settings(settings, store, installations) if installations else None,
        )
    if installations:
        app.enable_token_revocation_listeners()
    app.use(refuse_replays(store))
    app.error(answer_unreadable_requests)
    for door in DOORS:
        door.register(app, ctx)
    return app, ctx


@contextlib.contextmanager
def _bolt_reads_no_environment() -> Iterator[None]:
    """Hide Bolt's environment variables while it is built: the app's Settings are the only source."""
    hidden = {name: os.environ.pop(name) for name in BOLT_ENVIRONMENT if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(hidden)


def wsgi(settings: Settings | None = None, *, work: bool = False, check_workers: bool = False):
    """The WSGI application `serve` runs (see :func:`http_handler`); any WSGI server can run it too.
    ``check_workers``: /healthz fails while no queue worker is alive (`serve` with its own worker child)."""
    settings = settings or Settings()
    require_credentials(settings, http=True)
    app, ctx = build(settings, work=work)
    return http_handler(app, ctx.store, queue_health(ctx.store, settings) if check_workers else None)


def queue_health(store: Store, settings: Settings) -> Callable[[], str | None]:
    """Why the queue is not being worked, if it is not: no worker process, on any machine, wrote its
    heartbeat in the store within three WORKER_HEARTBEAT periods."""

    def problem() -> str | None:
        try:
            alive = store.live_workers(within=3 * settings.worker_heartbeat)
        except Exception as exc:  # a probe answers; the log has the rest
            log.warning("/healthz could not read the store: %s", exc)
            return "the store cannot be read"
        return None if alive else "no queue worker is alive"

    return problem


def http_handler(app: App, store: Store | None = None, health: Callable[[], str | None] | None = None):
    """Slack's requests at /slack/events (events, commands, shortcuts, interactivity); /healthz for probes
    (503 and the reason while ``health`` names a problem); /metrics for Prometheus (with the queue's
    depth when given the store).

    A body Bolt could not parse (too big, not UTF-8, not a JSON object) is refused here with a 4xx:
    Bolt would answer it with a 500 and a traceback.
    """
    bolt = SlackRequestHandler(app)
    verifier = SignatureVerifier(app._signing_secret) if app._signing_secret else None

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            problem = health() if health else None
            if problem:
                return _plain(start_response, "503 Service Unavailable", problem)
            return _plain(start_response, "200 OK", "ok")
        if environ.get("PATH_INFO") == "/metrics":
            body, content_type = metrics.exposition(store)
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return [body]
        refusal = read_body(environ)
        if refusal:
            return _plain(start_response, *refusal)
        if rate_limited := app_rate_limited(environ, verifier):
            return _plain(start_response, *rate_limited)
        return bolt(environ, start_response)

    return application


def read_body(environ: dict) -> tuple[str, str] | None:
    """Read the body once, for Bolt to read again; the (status, reason) to refuse it with, if any.

    An oversized body is refused from its Content-Length, before a byte of it is read.
    """
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return "400 Bad Request", "bad Content-Length"
    if length < 0:
        return "400 Bad Request", "bad Content-Length"
    if length > MAX_BODY_BYTES:
        return "413 Content Too Large", "request body too large"
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
    try:
        parsed = parse_body(body.decode(), (environ.get("CONTENT_TYPE") or "").split(";")[0] or None)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, JSON nested past the parser's depth
        parsed = None
    return None if isinstance(parsed, dict) else ("400 Bad Request", "unreadable request body")


def app_rate_limited(environ: dict, verifier: SignatureVerifier | None) -> tuple[str, str] | None:
    """Slack's ``app_rate_limited`` notice (an outer type, not an event_callback: Bolt answers it 404).

    Slack sends it unasked when a workspace's events exceed 30,000 an hour; the events it drops are
    gone. A signed one is acknowledged and logged for an admin; an unsigned one is refused.
    """
    if (environ.get("CONTENT_TYPE") or "").split(";")[0] != "application/json":
        return None
    body = environ["wsgi.input"].getvalue()
    if b"app_rate_limited" not in body:
        return None
    notice = json.loads(body)
    if notice.get("type") != "app_rate_limited":
        return None
    headers = {"x-slack-signature": environ.get("HTTP_X_SLACK_SIGNATURE", ""),
               "x-slack-request-timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")}
    if verifier is not None and not verifier.is_valid_request(body, headers):
        return "401 Unauthorized", "invalid request"
    log.warning(
        "Slack rate-limited this app's events for workspace %s (minute %s): events in that minute were not "
        "delivered",
        notice.get("team_id"),
        notice.get("minute_rate_limited"),
    )
    return "200 OK", ""


def _plain(start_response, status: str, text: str) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode() + b"\n"]


def refuse_replays(store: Store):
    """Bolt middleware (after its signature check): a signed request is let in once.

    Bolt accepts any correctly signed request for five minutes, so whoever copies one could send it
    again. Slack's own retries are signed anew (a new timestamp) and carry X-Slack-Retry-Num, which
    is part of the key in case a retry is signed in the same second; duplicates of an event are then
    dropped by its event_id when it is claimed. A replay is answered 200 and ignored.
    """

    def replay_guard(req: BoltRequest, next_: Callable[[], BoltResponse]) -> BoltResponse:
        signature = (req.headers.get("x-slack-signature") or [""])[0]
        if req.mode != "http" or not signature:
            return next_()
        retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
        if store.first_sighting(f"{signature}:{retry if retry in SLACK_RETRIES else 0}", REPLAY_WINDOW):
            return next_()
        log.warning("ignored a replayed Slack request (its signature was already used)")
        return BoltResponse(status=200, body="")

    return replay_guard


def answer_unreadable_requests(error: Exception) -> BoltResponse | None:
    """Bolt's error handler. A signed request without what Bolt or a door reads (a field missing, a
    wrong type) gets a 400 and one log line; any other failure keeps Bolt's 500 and a traceback."""
    if isinstance(error, (KeyError, TypeError, AttributeError, IndexError, ValueError)):
        log.warning("ignored a Slack request that could not be read (%s: %s)", type(error).__name__, error)
        return BoltResponse(status=400, body="")
    log.error("a Slack request failed", exc_info=error)
    return None


def main(command: str, args: argparse.Namespace, settings: Settings) -> int:
    require_credentials(settings, http=command == "serve")  # then the token, Socket Mode, the database
    doctor.require_healthy(settings, socket_mode=command == "run")
    if command == "run":
        return run_socket_mode(settings)
    if command == "serve":
        return serve(settings, args)
    if getattr(args, "check", False):
        return check_worker(settings)
    return run_worker(settings)


def run_socket_mode(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    if not settings.slack_app_token:
        raise InputError("SLACK_APP_TOKEN is not set: create an app-level token (xapp-...) with connections:write.")
    app, ctx = build(settings)
    consumer = ctx.queue.consumer()
    consumer.start()
    metrics.serve_port(settings, ctx.store)
    handler = SocketModeHandler(app, _secret(settings.slack_app_token))
    try:
        handler.connect()
        log.warning("slack-summarizer is running in Socket Mode; press Ctrl-C to stop")
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
        consumer.stop()
    return 0


def serve(settings: Settings, args: argparse.Namespace) -> int:
    """The HTTP server answers Slack (:func:`_http_server`); one `python -m bot worker` child runs the
    queue, started again whenever it dies, unless --no-queue-workers (scale-out: workers run on their
    own machines)."""
    require_credentials(settings, http=True)  # before the worker child starts
    queue_workers = None if args.no_queue_workers else supervise_queue_worker(args.verbose)
    try:
        _http_server(settings, args, check_workers=queue_workers is not None)
    finally:
        if queue_workers:
            queue_workers.stop()
    return 0


def supervise_queue_worker(verbose: bool) -> Supervisor:
    """`serve`'s own `python -m bot worker` child, started again whenever it dies."""
    return Supervisor([sys.executable, "-m", "bot", "worker"] + (["-v"] if verbose else [])).start()


# Waitress reads each request whole (headers and body) in its event loop, and only then gives it to a
# thread: clients that send slowly, or connect and send nothing, hold a socket each and no thread, so
# Slack's signed requests keep being acked within its 3 seconds (gunicorn's gthread workers give a
# thread to a connection as soon as it sends a byte: 16 slow clients held them all). The connection
# limit bounds the sockets held open; a reverse proxy in front bounds them per client (README).
SERVER_CONNECTIONS = 1000  # open connections waitress keeps before it stops accepting (file descriptors)
IDLE_CONNECTION_TIMEOUT = 30  # seconds a connection may stay silent before waitress closes it


def http_server(application, host: str, port: int, threads: int):
    """The waitress server for ``application``, bound and ready to ``run()``."""
    from waitress import create_server

    return create_server(
        application,
        host=host,
        port=port,
        threads=threads,
        connection_limit=SERVER_CONNECTIONS,
        channel_timeout=IDLE_CONNECTION_TIMEOUT,
        max_request_body_size=MAX_BODY_BYTES,
        clear_untrusted_proxy_headers=True,
        ident="slack-summarizer",
    )


def _http_server(settings: Settings, args: argparse.Namespace, *, check_workers: bool = False) -> None:
    """Serve Slack's requests until SIGTERM or Ctrl-C; requests already read are answered first."""
    if args.workers != 1:
        log.warning("--workers is ignored: one process serves (waitress threads); run replicas to scale out")
    application = wsgi(settings, check_workers=check_workers)
    server = http_server(access_log(application) if args.verbose else application, args.host, args.port, args.threads)
    signal.signal(signal.SIGTERM, _exit)
    log.warning("serving Slack's requests on http://%s:%s/slack/events", args.host, server.effective_port)
    server.run()  # returns on SystemExit or KeyboardInterrupt, once its threads are done


def access_log(application):
    """One log line per request, as gunicorn's access log had: never the query string (OAuth codes)."""
    access = logging.getLogger("bot.access")

    def logged(environ, start_response):
        started = time.monotonic()

        def recording(status, headers, *exc_info):
            access.info('%s "%s %s %s" %s %.1f ms', environ.get("REMOTE_ADDR", "-"), environ.get("REQUEST_METHOD"),
                        environ.get("PATH_INFO"), environ.get("SERVER_PROTOCOL"), status.split(" ")[0],
                        1000 * (time.monotonic() - started))
            return start_response(status, headers, *exc_info)

        return application(environ, recording)

    return logged


def _exit(*_) -> None:
    raise SystemExit(0)


def check_worker(settings: Settings) -> int:
    """`python -m bot worker --check`, an orchestrator's liveness probe: 0 while a worker process on this
    host writes its heartbeat (every WORKER_HEARTBEAT seconds), 1 when none has for three periods."""
    store = Store(settings.effective_database_url)
    try:
        alive = store.live_workers(within=3 * settings.worker_heartbeat, host=socket.gethostname())
    finally:
        store.close()
    print(f"{alive} queue worker(s) alive on {socket.gethostname()}" if alive else "no queue worker is alive here")
    return 0 if alive else 1


def run_worker(settings: Settings) -> int:
    """Queue workers only, until SIGTERM or Ctrl-C; many of these can share REDIS_URL and DATABASE_URL."""
    store = Store(settings.effective_database_url)
    installations = oauth.installation_store(settings, store)
    worker = _worker(settings, store, web_client(settings), installations)
    queue = Queue(settings, store, worker)
    worker.resolve = partial(seen.resolve, AppContext(settings, store, queue, installations))
    workers = queue.consumer()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    workers.start()
    metrics.serve_port(settings, store)
    log.warning("worker running with %d threads; SIGTERM or Ctrl-C stops it", settings.worker_threads)
    stop.wait()
    workers.stop()
    return 0


def _worker(settings: Settings, store: Store, client: WebClient, installations=None) -> Worker:
    """The worker answers for the one workspace of SLACK_BOT_TOKEN, or for each installed workspace."""
    cache = SummaryCache(store, timedelta(hours=settings.cache_ttl_hours)) if settings.cache_ttl_hours else None

    def delivery_for(request: SummaryRequest) -> Delivery:
        """Raises NotInstalled when no installation answers the request: never another workspace's token."""
        if installations is None:
            return Delivery(client, store)
        token = oauth.bot_token(installations, request.authorization)
        if token is None:
            raise oauth.NotInstalled(request.authorization)
        return Delivery(web_client(settings, token), store)

    return Worker(settings, store, make_summarizer(settings), delivery_for, cache)


def _secret(value) -> str | None:
    return value.get_secret_value() if value is not None else None
