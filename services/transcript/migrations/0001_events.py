"""transcript: stored transcript events

Revision ID: transcript_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "transcript_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transcript_events",
        sa.Column("event_id", sa.String(100), primary_key=True),
        sa.Column("call_id", sa.String(100), nullable=False),
        # "turn", "call_started" or "call_ended"
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("turn_index", sa.Integer, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_bytes", sa.LargeBinary, nullable=False),
    )
    op.create_index("transcript_by_call", "transcript_events", ["call_id", "kind", "turn_index"])


def downgrade() -> None:
    op.drop_table("transcript_events")
