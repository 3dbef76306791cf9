"""m006_sending_part: the message whose fate is unknown gets its own column, out of parts_posted's sign.

Rows written before it kept that mark as a negative parts_posted, -(n + 1); they are carried over.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("summary_requests") as batch:
        batch.add_column(sa.Column("sending_part", sa.Integer, nullable=True))
    op.execute(
        "UPDATE summary_requests SET sending_part = -parts_posted - 1, parts_posted = -parts_posted - 1"
        " WHERE parts_posted < 0"
    )


def downgrade() -> None:
    op.execute("UPDATE summary_requests SET parts_posted = -sending_part - 1 WHERE sending_part IS NOT NULL")
    with op.batch_alter_table("summary_requests") as batch:
        batch.drop_column("sending_part")
