"""Door 3: `/summarize <url> [words=N] [paragraphs=N]`, plus `help` and `auto on|off`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.errors import InputError
from bot.render import escape_mrkdwn, mrkdwn_link
from bot.request import SummaryRequest
from handlers.common import COMMAND, accept, authorization, parse_ask, usage
from handlers.settings import open_settings

if TYPE_CHECKING:
    from bot.app import AppContext


def register(app: App, ctx: AppContext) -> None:
    @app.command(COMMAND)
    def on_command(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
        text = command.get("text", "").strip()
        words = text.lower().split()
        team, channel = command.get("team_id", ""), command["channel_id"]
        if not words or words == ["help"]:
            ack(text=usage(ctx, team, channel))
            return
        if words == ["settings"]:
            ack()
            open_settings(ctx, client, command["trigger_id"], team, channel)
            return
        if words[0] == "auto":
            ack(text=set_auto_mode(ctx, command, words[1:]))
            return
        try:
            ask = parse_ask(text, ctx.spec_for(team, channel), limit=1)
        except InputError as exc:
            ack(text=f":warning: {exc.message}")
            return
        if not ask.urls:
            ack(text=f":warning: I couldn't find a web link in `{escape_mrkdwn(text)}`.\n\n{usage(ctx, team, channel)}")
            return
        request = SummaryRequest(
            url=ask.urls[0],
            team_id=command.get("team_id", ""),
            channel=command["channel_id"],
            user=command.get("user_id"),
            door="command",
            spec=ask.spec,
            response_url=command.get("response_url"),
            event_id=command.get("trigger_id"),
            auth=authorization(context),
        )
        if accept(ctx, client, request):
            ack()  # refused: accept() told the person why
            return
        ack(text=f":hourglass_flowing_sand: Working on {mrkdwn_link(request.url)}; the summary will appear here.")


def set_auto_mode(ctx: AppContext, command: dict, words: list[str]) -> str:
    if words not in (["on"], ["off"]):
        return "Use `/summarize auto on` or `/summarize auto off`."
    ctx.store.save_settings(command.get("team_id", ""), command["channel_id"], auto_mode=words == ["on"])
    if words == ["on"]:
        return "Links posted in this channel will be summarized automatically."
    return (
        "Links posted in this channel will no longer be summarized automatically. "
        f"Use {COMMAND}, a mention or the :{ctx.settings.summarize_reaction}: reaction to ask."
    )
