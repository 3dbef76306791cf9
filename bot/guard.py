"""The cost guard: a daily token budget per workspace and a rate limit per person, both off by default.

A refused request is answered with when the limit resets, never dropped in silence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.request import SummaryRequest
from bot.store import Store, now


@dataclass
class Guard:
    settings: Settings
    store: Store

    def refusal(self, request: SummaryRequest, moment: datetime | None = None) -> str | None:
        """Why this request may not run now, in plain words; None when it may."""
        moment = moment or now()
        return self._over_budget(request, moment) or self._over_rate(request, moment)

    def _over_budget(self, request: SummaryRequest, moment: datetime) -> str | None:
        budget = self.settings.daily_token_budget
        if not budget:
            return None
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        used = self.store.usage_totals(request.team_id, since=midnight).tokens
        if used < budget:
            return None
        return (
            f"This workspace has used its daily summary budget ({used:,} of {budget:,} tokens). "
            f"It resets at midnight UTC, {_in(midnight + timedelta(days=1) - moment)}."
        )

    def _over_rate(self, request: SummaryRequest, moment: datetime) -> str | None:
        limit = self.settings.user_rate_limit
        if not limit or not request.user:
            return None
        asked = self.store.requests_by_user(request.team_id, request.user, since=moment - timedelta(hours=1))
        if asked < limit:
            return None
        return f"You've asked for {asked} summaries in the last hour; the limit is {limit} an hour. Try again later."


def _in(delta: timedelta) -> str:
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    return f"in {hours} h {minutes} min" if hours else f"in {minutes} min"
