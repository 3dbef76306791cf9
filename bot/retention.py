"""RETENTION_DAYS: what people shared and what was made of it is kept this long, then deleted.

The tables and their age columns are listed once, in ``bot.store.RETAINED``. Queue workers purge once
when they start and then daily; `python -m bot purge` does it on demand. Several workers purging at
once is harmless: each deletes what the others left.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from bot.config import Settings
from bot.store import Store

log = logging.getLogger(__name__)

DAY = 24 * 3600.0


def purge(settings: Settings, store: Store | None = None) -> dict[str, int]:
    """Rows deleted, by table."""
    own = store is None
    store = store or Store(settings.effective_database_url)
    try:
        return store.purge(timedelta(days=settings.retention_days))
    finally:
        if own:
            store.close()


def start_daily(settings: Settings, store: Store, stop: threading.Event) -> threading.Thread:
    """Purge now and then every day, until ``stop`` is set; a failed pass is logged and tried the next day."""

    def daily() -> None:
        while True:
            try:
                deleted = purge(settings, store)
                if any(deleted.values()):
                    log.warning("retention: deleted %s (older than %g days)", deleted, settings.retention_days)
            except Exception:
                log.exception("retention: the purge failed; trying again in a day")
            if stop.wait(DAY):
                return

    thread = threading.Thread(target=daily, name="retention", daemon=True)
    thread.start()
    return thread
