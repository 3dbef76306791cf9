"""The App Home tab: the workspace's defaults, how to ask, and what summaries have cost."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.render import render_usage
from bot.store import FeedbackTotals, UsageTotals, now
from handlers.common import COMMAND, workspace
from handlers.settings import OPEN_WORKSPACE_SETTINGS, describe, is_admin

if TYPE_CHECKING:
    from bot.app import AppContext


def register(app: App, ctx: AppContext) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
        if event.get("tab") != "home":
            return
        user, team = event["user"], workspace(context, body)
        client.views_publish(user_id=user, view=home_view(ctx, team, user, is_admin(ctx, client, user)))


def home_view(ctx: AppContext, team: str, user: str, admin: bool) -> dict:
    moment = now()
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    month = moment - timedelta(days=30)
    defaults = ctx.preferences(team, None)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Summarizer"}},
        _section(render_usage(command=COMMAND, emoji=defaults.reaction, spec=defaults.spec)),
        {"type": "divider"},
        _section("*This workspace's defaults*\n" + describe(defaults)),
    ]
    if admin:
        button = {"type": "button", "action_id": OPEN_WORKSPACE_SETTINGS, "text": _plain("Change workspace defaults")}
        blocks.append({"type": "actions", "elements": [button]})
    blocks += [
        {"type": "context", "elements": [_mrkdwn("A channel's own settings: `/summarize settings` in that channel.")]},
        {"type": "divider"},
        _section(
            "*Usage*\n"
            + _usage_line("Today (UTC), this workspace", ctx.store.usage_totals(team, since=midnight))
            + "\n"
            + _usage_line("Last 30 days, this workspace", ctx.store.usage_totals(team, since=month))
            + "\n"
            + _usage_line("Last 30 days, you", ctx.store.usage_totals(team, since=month, user_id=user))
            + "\n"
            + _feedback_line(ctx.store.feedback_totals(team, since=month))
        ),
    ]
    return {"type": "home", "blocks": blocks}


def _usage_line(label: str, totals: UsageTotals) -> str:
    summaries = "summary" if totals.summaries == 1 else "summaries"
    return (
        f"{label}: {totals.summaries:,} {summaries}, {totals.tokens:,} tokens "
        f"({totals.prompt_tokens:,} in, {totals.completion_tokens:,} out), about ${totals.cost_usd:,.2f}"
    )


def _feedback_line(totals: FeedbackTotals) -> str:
    return f"Feedback on summaries, last 30 days: {totals.up:,} \U0001f44d, {totals.down:,} \U0001f44e"


def _section(text: str) -> dict:
    return {"type": "section", "text": _mrkdwn(text[:3000])}


def _mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}
