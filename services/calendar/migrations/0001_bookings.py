"""calendar: bookings and idempotency keys

Revision ID: calendar_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "calendar_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_bookings",
        sa.Column("booking_id", sa.String(32), primary_key=True),
        sa.Column("listing_id", sa.String(100), nullable=False),
        # agent_id, or "listing:<listing_id>" when no agent was named: what cannot be double-booked.
        sa.Column("resource", sa.String(200), nullable=False),
        sa.Column("agent_id", sa.String(100), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("lead_id", sa.String(100), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=False),
        sa.Column("contact_phone_e164", sa.String(20), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source_call_id", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(500), nullable=False, server_default=""),
    )
    # The atomicity of booking: one confirmed booking per resource and start, enforced by the database.
    op.create_index(
        "calendar_one_confirmed_per_slot",
        "calendar_bookings",
        ["resource", "start_time"],
        unique=True,
        sqlite_where=sa.text("status = 'confirmed'"),
        postgresql_where=sa.text("status = 'confirmed'"),
    )
    op.create_index("calendar_bookings_by_resource", "calendar_bookings", ["resource", "start_time"])
    op.create_table(
        "calendar_idempotency_keys",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("calendar_idempotency_keys")
    op.drop_table("calendar_bookings")
