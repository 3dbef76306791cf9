"""Slack keeps getting its acks while many clients hold connections open doing almost nothing: sending
request headers one line every 2 s, sending a body just as slowly, or sending nothing at all.

`python -m bot serve` runs waitress, which reads a whole request in its event loop before a thread
sees it, so such clients hold a socket each and no thread. (Under gunicorn's gthread workers, 16 of
them held every thread; benchmarks/ack.py measures both.)
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.fixtures.slack_payloads import SIGNING_SECRET, event_payload, sign
from tests.fixtures.slow_clients import silent, slow_body, slow_headers, trickling

SLOW_CLIENTS = 64
EVENTS = 20
SLACK_PATIENCE = 3.0  # seconds Slack waits for an ack


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
