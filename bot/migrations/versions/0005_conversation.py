"""m005_conversation: feedback on each summary (👍/👎 under it), and a channel's summary shape.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
# The brief names "0002"; main already holds 0004 on 0002, and two heads cannot be upgraded to "head",
# so this follows 0004 (the lead re-chains at merge).
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("message_ts", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("vote", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])
    with op.batch_alter_table("scope_settings") as batch:
        batch.add_column(sa.Column("shape", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scope_settings") as batch:
        batch.drop_column("shape")
    op.drop_table("feedback")
