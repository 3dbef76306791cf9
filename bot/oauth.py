"""Many workspaces: Slack's OAuth install flow, with Bolt's SQLAlchemy stores on the app's database.

On when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set (HTTP mode: `/slack/install` and
`/slack/oauth_redirect`); otherwise the app runs for the one workspace of SLACK_BOT_TOKEN.
"""

from __future__ import annotations

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.config import Settings
from bot.store import Store

# Exactly the bot scopes in manifest.yml.
BOT_SCOPES = [
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "chat:write",
    "commands",
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
        installation_store=installations,
        # Bot tokens only: authorize through find_bot, which tokens_revoked (delete_bot) empties; the
        # installation row keeps the old bot token, and Bolt would otherwise try it again.
        installation_store_bot_only=True,
        state_store=states,
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
    )


def bot_token(installations: SQLAlchemyInstallationStore, team_id: str) -> str | None:
    """The workspace's own bot token, for the workers that answer off the request path."""
    bot = installations.find_bot(enterprise_id=None, team_id=team_id)
    return bot.bot_token if bot else None
