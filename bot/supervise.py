"""Keeps a child process running: `serve` starts its queue worker this way and starts it again when it dies.

A worker can die under a page (out of memory, a crash in a parser); without a new one, links would be
acked and never answered. The request it held comes back through its lease (bot/jobs.py), and a
page that keeps killing workers is given up on after JOB_MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time

log = logging.getLogger(__name__)

POLL = 0.5  # seconds between looks at the child
FIRST_DELAY, MAX_DELAY = 1.0, 30.0  # wait before a restart, doubling while the child keeps dying young
STEADY = 60.0  # a child that lived this long died of something new: restart it at once


class Supervisor:
    """Runs ``argv`` in a child process and restarts it whenever it exits, until :meth:`stop`."""

    def __init__(self, argv: list[str], name: str = "queue worker") -> None:
        self.argv, self.name = argv, name
        self.restarts = 0
        self.child: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"supervise-{name}", daemon=True)

    def start(self) -> Supervisor:
        self.child = subprocess.Popen(self.argv)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if self.child and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()

    def _watch(self) -> None:
        delay, started = FIRST_DELAY, time.monotonic()
        while not self._stop.wait(POLL):
            code = self.child.poll()
            if code is None:
                continue
            lived = time.monotonic() - started
            delay = FIRST_DELAY if lived >= STEADY else delay
            log.error(
                "the %s (pid %d) exited with %s after %.0f s; starting a new one in %.0f s",
                self.name,
                self.child.pid,
                code,
                lived,
                delay,
            )
            if self._stop.wait(delay):
                return
            self.child, started = subprocess.Popen(self.argv), time.monotonic()
            self.restarts += 1
            delay = min(delay * 2, MAX_DELAY)
