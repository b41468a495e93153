"""sms: messages, outbox, opt-outs

Revision ID: sms_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "sms_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_messages",
        sa.Column("message_id", sa.String(32), primary_key=True),
        # At most one message, and so at most one send, per key.
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("to_phone_e164", sa.String(20), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("provider_message_id", sa.String(64), nullable=False),
        sa.Column("error_message", sa.String(500), nullable=False),
        sa.Column("source_call_id", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(32), sa.ForeignKey("sms_messages.message_id"), nullable=False, unique=True),
        sa.Column("to_phone_e164", sa.String(20), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sms_opt_outs",
        sa.Column("phone_e164", sa.String(20), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sms_opt_outs")
    op.drop_table("sms_outbox")
    op.drop_table("sms_messages")
