"""Many workspaces: Slack's OAuth install flow, with Bolt's SQLAlchemy stores on the app's database.

On when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set (HTTP mode: `/slack/install` and
`/slack/oauth_redirect`); otherwise the app runs for the one workspace of SLACK_BOT_TOKEN.
"""

from __future__ import annotations

import logging

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.config import Settings
from bot.errors import DeliveryError
from bot.request import Authorization
from bot.store import Store

log = logging.getLogger(__name__)

NOT_INSTALLED = (
    "I can't answer here: my installation for this workspace was not found. "
    "Ask a workspace admin to install the app again."
)


class NotInstalled(DeliveryError):
    """No stored installation answers a request: there is no token to post with."""

    def __init__(self, auth: Authorization) -> None:
        super().__init__(NOT_INSTALLED, error="no_installation")
        self.auth = auth

# Exactly the bot scopes in manifest.yml.
BOT_SCOPES = [
    "app_mentions:read",
    "assistants:write",  # the assistant thread: suggested prompts, title, loading status (handlers/assistant.py)
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "chat:write",
    "commands",
    "files:read",  # files shared in Slack (bot/slack_files.py)
    "reactions:read",
    "reactions:write",
    "users:read",
]


def installation_store(settings: Settings, store: Store) -> SQLAlchemyInstallationStore | None:
    if not (settings.slack_client_id and settings.slack_client_secret):
        return None
    installations = SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=store.engine)
    store.ensure_tables(installations.metadata)
    return installations


def oauth_settings(settings: Settings, store: Store, installations: SQLAlchemyInstallationStore) -> OAuthSettings:
    states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=store.engine)
    store.ensure_tables(states.metadata)
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=BOT_SCOPES,
        user_scopes=[],
        installation_store=installations,
        # Bot tokens only: authorize through find_bot, which tokens_revoked (delete_bot) empties; the
        # installation row keeps the old bot token, and Bolt would otherwise try it again.
        installation_store_bot_only=True,
        state_store=states,
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
    )


def bot_token(installations: SQLAlchemyInstallationStore, auth: Authorization) -> str | None:
    """The bot token of the installation that answers ``auth``, looked up exactly as Bolt's authorize does.

    On Enterprise Grid a workspace install is found by enterprise and team, an org-wide install by the
    enterprise alone (the store ignores the team then); never another installation's token. A miss is
    logged for an admin with what was looked up.
    """
    bot = installations.find_bot(
        enterprise_id=auth.enterprise_id, team_id=auth.team_id, is_enterprise_install=auth.is_enterprise_install
    )
    if bot is None or not bot.bot_token:
        log.error("no installation of the app answers %s: the app may have been uninstalled", auth.describe())
        return None
    return bot.bot_token
