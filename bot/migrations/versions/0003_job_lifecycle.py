"""m003_job_lifecycle: attempts and lease owners on requests; the queue workers' heartbeats.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("summary_requests") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("abandoned", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("timeouts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("lease_owner", sa.String(32), nullable=True))
    op.create_table(
        "queue_workers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("threads", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_queue_workers_beat_at", "queue_workers", ["beat_at"])


def downgrade() -> None:
    op.drop_table("queue_workers")
    with op.batch_alter_table("summary_requests") as batch:
        for column in ("lease_owner", "timeouts", "abandoned", "attempts"):
            batch.drop_column(column)
