"""m004_seen_links: the links of messages the app saw, for reactions and mentions without history reads.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "seen_links",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("ts", sa.String(32), primary_key=True),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_seen_links_seen_at", "seen_links", ["seen_at"])


def downgrade() -> None:
    op.drop_table("seen_links")
