"""Files shared in Slack: which a message holds, and their bytes, fetched from Slack alone with the bot token.

A file travels through the queue as its permalink (``https://team.slack.com/files/U1/F1/report.pdf``):
a link a person can click in the summary's header, which names the file id. The worker then asks
``files.info`` (so no access, a deleted file, a file too large or of a type the app does not read each get
their own reason before any download) and downloads ``url_private_download`` with the bot token, only
from Slack's file host (files.slack.com, or SLACK_API_URL's host: the fake Slack in tests). The token
never goes anywhere else, redirects included. The bytes then go to the engine, which knows nothing of
Slack (:func:`bot.pipeline.summarize_bytes`), under the same size cap and deadline as a page.

    links = sources(message, limit=3)          # web links and file permalinks, in that order
    shared = download(client, link, settings)  # SharedFile(data, content_type, name)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.content import friendly_name
from bot.errors import FetchError, FetchTimeout, TooLarge, UnsupportedContent
from bot.links import find_links

log = logging.getLogger(__name__)

FILES_HOST = "files.slack.com"
# What the engine reads (bot.pipeline.summarize_bytes), by Slack's ``filetype`` and by file name.
READABLE_FILETYPES = {"pdf", "text", "markdown", "html", "post"}
READABLE_SUFFIXES = {".pdf", ".txt", ".md", ".markdown", ".html", ".htm"}
READABLE_MIMETYPES = {"application/pdf", "text/plain", "text/markdown", "text/html", "text/x-markdown"}
_CHUNK = 64 * 1024
_MAX_REDIRECTS = 3
UNREADABLE = "I can summarize PDF, text, Markdown and HTML files."


@dataclass(frozen=True)
class SharedFile:
    data: bytes
    content_type: str | None
    name: str


def sources(message: dict, limit: int = 3, *, readable_only: bool = False) -> list[str]:
    """A message's web links, then the permalinks of its files; at most ``limit`` in all.

    ``readable_only`` leaves out files the app cannot read (images, spreadsheets ...): in automatic
    mode every upload of a photo would otherwise get a refusal.
    """
    links = find_links(message, limit=limit)
    for file in message.get("files") or ():
        if len(links) >= limit:
            break
        if isinstance(file, dict) and file.get("id") and (is_readable(file) or not readable_only):
            link = permalink(file)
            if link not in links:
                links.append(link)
    return links


def permalink(file: dict) -> str:
    """The file's permalink; a file object cut short (``"file_access": "check_file_info"``) gets one made."""
    link = file.get("permalink")
    if isinstance(link, str) and file_id(link) == file["id"]:
        return link
    return f"https://slack.com/files/{file.get('user') or '-'}/{file['id']}"


def file_id(link: str) -> str | None:
    """``F1`` from ``https://team.slack.com/files/U1/F1/name.pdf``; None for any other link."""
    parts = urlsplit(link)
    host = (parts.hostname or "").lower()
    segments = parts.path.split("/")
    if parts.scheme != "https" or not (host == "slack.com" or host.endswith(".slack.com")):
        return None
    if len(segments) >= 4 and segments[1] == "files" and segments[3][:1] == "F" and segments[3].isalnum():
        return segments[3]
    return None


def is_file_link(link: str) -> bool:
    return file_id(link) is not None


def is_readable(file: dict) -> bool:
    suffix = PurePosixPath(str(file.get("name") or "")).suffix.lower()
    return (
        file.get("filetype") in READABLE_FILETYPES
        or suffix in READABLE_SUFFIXES
        or str(file.get("mimetype") or "").lower() in READABLE_MIMETYPES
    )


def allowed_origins(settings: Settings) -> set[tuple[str, int]]:
    """Where a file may be downloaded from with the token: Slack's file host, and the API's own host and port."""
    return {(FILES_HOST, 443), _origin(settings.slack_api_url)}


def _origin(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


def download(client: WebClient, link: str, settings: Settings) -> SharedFile:
    """The bytes of the file ``link`` names, or a BotError saying why the app cannot have them."""
    file = _info(client, link)
    name = str(file.get("name") or file.get("title") or "file")
    if file.get("is_external") or file.get("mode") in ("external", "snippet_external"):
        raise UnsupportedContent(f"{name} is stored outside Slack, where this app cannot open it.")
    if not is_readable(file):
        what = friendly_name(str(file.get("mimetype") or "application/octet-stream"))
        raise UnsupportedContent(f"{name} is {what}; {UNREADABLE}")
    if isinstance(file.get("size"), int) and file["size"] > settings.fetch_max_bytes:
        raise TooLarge(_too_large(name, settings))
    url = file.get("url_private_download") or file.get("url_private")
    if not isinstance(url, str):
        raise FetchError(f"Slack gave no download address for {name}.")
    data, content_type = _get(url, client.token or "", settings, name)
    return SharedFile(data=data, content_type=content_type or file.get("mimetype"), name=name)


def _info(client: WebClient, link: str) -> dict:
    try:
        return client.files_info(file=file_id(link) or "")["file"]
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        status = exc.response.status_code
        if status == 429 or status >= 500:
            raise FetchError("Slack did not answer about the file; I'll try again.", transient=True) from exc
        if error == "missing_scope":
            raise FetchError(
                "This app may not read files shared in Slack: it needs the files:read permission "
                "(ask an admin to reinstall it)."
            ) from exc
        if error in ("file_not_found", "file_deleted"):
            raise FetchError("That file is gone, or this app has no access to it.") from exc
        raise FetchError(f"Slack would not show that file to this app ({error or status}).") from exc


def _get(url: str, token: str, settings: Settings, name: str) -> tuple[bytes, str | None]:
    """GET with the token, only from Slack's hosts, within the size cap and FETCH_DEADLINE."""
    deadline = time.monotonic() + settings.fetch_deadline
    with requests.Session() as session:
        session.trust_env = False  # no proxy from the environment sees the token
        for _ in range(_MAX_REDIRECTS + 1):
            _check_host(url, settings)
            try:
                response = session.get(
                    url,
                    headers={"Authorization": f"Bearer {token}"},
                    stream=True,
                    allow_redirects=False,
                    timeout=(settings.fetch_timeout, settings.fetch_timeout),
                )
            except requests.Timeout as exc:
                raise FetchTimeout("Slack took too long to send the file; try again later.") from exc
            except requests.RequestException as exc:
                raise FetchError("Slack's file download failed; try again later.", transient=True) from exc
            with response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("Location", ""))
                    continue
                return _body(response, settings, name, deadline)
    raise FetchError("Slack's file download redirected too many times.")


def _check_host(url: str, settings: Settings) -> None:
    try:
        origin = _origin(url)
    except ValueError:  # a port out of range
        origin = ("", 0)
    if urlsplit(url).scheme not in ("https", "http") or origin not in allowed_origins(settings):
        log.warning("refused to download a Slack file from %s", origin[0])
        raise FetchError("Slack pointed the file download somewhere other than Slack; it was not fetched.")


def _body(response: requests.Response, settings: Settings, name: str, deadline: float) -> tuple[bytes, str | None]:
    if response.status_code in (401, 403, 404):
        raise FetchError("That file is gone, or this app has no access to it.")
    if response.status_code >= 400:
        raise FetchError(f"Slack could not send the file (HTTP {response.status_code}).", transient=True)
    content_type = response.headers.get("Content-Type")
    announced = response.headers.get("Content-Length", "")
    limit = settings.fetch_max_bytes
    if announced.isdigit() and int(announced) > limit:
        raise TooLarge(_too_large(name, settings))
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge(_too_large(name, settings))
            if time.monotonic() > deadline:
                raise FetchTimeout("Slack took too long to send the file; try again later.")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise FetchError("Slack's file download broke off; try again later.", transient=True) from exc
    data = b"".join(chunks)
    if (content_type or "").startswith("text/html") and not name.lower().endswith((".html", ".htm")):
        # Slack answers a token that may not read the file with its sign-in page, not with an error.
        raise FetchError("Slack showed a sign-in page instead of the file: this app has no access to it.")
    return data, content_type


def _too_large(name: str, settings: Settings) -> str:
    return f"{name} is too large to summarize (over {settings.fetch_max_bytes / 1_000_000:g} MB)."
