"""The "Show evidence" button under a summary: a modal with each summary sentence and the article
sentences that support it (stored with the request when the summary was posted, see bot/evidence.py)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.render import SHOW_EVIDENCE, render_evidence, render_evidence_gone

if TYPE_CHECKING:
    from bot.app import AppContext

log = logging.getLogger(__name__)


def register(app: App, ctx: AppContext) -> None:
    @app.action(SHOW_EVIDENCE)
    def on_show_evidence(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", "")
        record = ctx.store.evidence(str(action.get("value") or "")[:64], team)
        view = render_evidence(record) if record else render_evidence_gone()
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as exc:  # the trigger expired (3 s) or Slack refused: nothing else to tell
            log.info("could not open the evidence modal: %s", exc.response.get("error"))
