"""m001_initial: requests (dedupe, leases), settings, summary cache, usage.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "summary_requests",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("door", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("parts_posted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_requests_status_updated", "summary_requests", ["status", "updated_at"])
    op.create_index("ix_requests_channel_url", "summary_requests", ["team_id", "channel", "url"])
    op.create_index("ix_requests_user_created", "summary_requests", ["team_id", "user_id", "created_at"])
    op.create_table(
        "scope_settings",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),  # "" = the workspace's defaults
        sa.Column("auto_mode", sa.Boolean, nullable=True),
        sa.Column("reaction", sa.String(64), nullable=True),
        sa.Column("max_words", sa.Integer, nullable=True),
        sa.Column("paragraphs", sa.Integer, nullable=True),
        sa.Column("language", sa.String(32), nullable=True),
    )
    op.create_table(
        "summary_cache",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "usage",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("backend", sa.String(32), nullable=False),
        sa.Column("model", sa.String(128), nullable=True),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("completion_tokens", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_usage_team_created", "usage", ["team_id", "created_at"])


def downgrade() -> None:
    for table in ("usage", "summary_cache", "scope_settings", "summary_requests"):
        op.drop_table(table)
