"""transcript: an index for listing calls by when they started

Revision ID: transcript_0002
Revises: transcript_0001
"""

from alembic import op

revision = "transcript_0002"
down_revision = "transcript_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("transcript_by_kind_time", "transcript_events", ["kind", "occurred_at"])


def downgrade() -> None:
    op.drop_index("transcript_by_kind_time", "transcript_events")
