"""Slack keeps getting its acks while many clients hold connections open doing almost nothing: sending
request headers one line every 2 s, sending a body just as slowly, or sending nothing at all.

`python -m bot serve` runs waitress, which reads a whole request in its event loop before a thread
sees it, so such clients hold a socket each and no thread. (Under gunicorn's gthread workers, 16 of
them held every thread; benchmarks/ack.py measures both.)
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import requests

from tests.fixtures.slack_payloads import SIGNING_SECRET, event_payload, sign

SLOW_CLIENTS = 64
EVENTS = 20
SLACK_PATIENCE = 3.0  # seconds Slack waits for an ack


def slow_headers(n: int) -> Callable[[int], bytes]:
    """A request line, then one more header line each time, never the blank line that ends them."""
    start = b"POST /slack/events HTTP/1.1\r\nHost: app\r\n"
    return lambda step: start if step == 0 else b"X-Slow-%d: %d\r\n" % (n, step)


def slow_body(n: int) -> Callable[[int], bytes]:
    """Whole headers announcing a 1000-byte body, then the body one byte each time."""
    head = b"POST /slack/events HTTP/1.1\r\nHost: app\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    return lambda step: head if step == 0 else b"{"


def silent(n: int) -> Callable[[int], bytes]:
    """Connects and sends nothing."""
    return lambda step: b""


@contextmanager
def trickling(url: str, clients: int, sends: Callable[[int], Callable[[int], bytes]], every: float = 2.0
              ) -> Iterator[None]:
    """``clients`` connections to ``url``, each sending what ``sends`` gives it every ``every`` seconds."""
    host, port = url.removeprefix("http://").split(":")
    sockets = [socket.create_connection((host, int(port)), timeout=5) for _ in range(clients)]
    plans = [sends(n) for n in range(clients)]
    stop = threading.Event()

    def trickle() -> None:
        step = 0
        while not stop.is_set():
            for sock, plan in zip(sockets, plans, strict=True):
                if data := plan(step):
                    with contextlib.suppress(OSError):  # the server may drop a client it finds too slow: fair
                        sock.sendall(data)
            step += 1
            stop.wait(every)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        stop.wait(every + 0.5)  # every client has started, and sent more than once
        yield
    finally:
        stop.set()
        thread.join()
        for sock in sockets:
            sock.close()


def signed_event(n: int) -> tuple[bytes, dict[str, str]]:
    payload = event_payload("event_callback.message.bare_link.json", link=f"http://127.0.0.1:9/slow-{n}",
                            ts=f"{1700000000 + n}.000100")
    body = json.dumps(payload).encode()
    return body, {"Content-Type": "application/json"} | sign(body, SIGNING_SECRET)


@pytest.mark.parametrize("clients", [slow_headers, slow_body, silent], ids=["slow headers", "slow body", "silent"])
def test_signed_events_are_acked_within_slacks_3_seconds_while_64_slow_clients_hold_connections(clients, bot):
    serve = bot.serve()

    with trickling(serve.url, SLOW_CLIENTS, clients):
        statuses = []
        for n in range(EVENTS):
            body, headers = signed_event(n)
            # a timeout here is Slack giving up on the ack: the request fails the test
            response = requests.post(f"{serve.url}/slack/events", data=body, headers=headers, timeout=SLACK_PATIENCE)
            statuses.append(response.status_code)

    assert statuses == [200] * EVENTS
