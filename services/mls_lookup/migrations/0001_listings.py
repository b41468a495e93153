"""mls_lookup: listings

Revision ID: mls_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "mls_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mls_listings",
        sa.Column("mls_id", sa.String(40), primary_key=True),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("street_key", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("city_key", sa.String(100), nullable=False),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("postal_code", sa.String(10), nullable=False),
        sa.Column("price_usd", sa.BigInteger, nullable=False),
        sa.Column("bedrooms", sa.Integer, nullable=False),
        sa.Column("bathrooms", sa.Float, nullable=False),
        sa.Column("square_feet", sa.Integer, nullable=False),
        sa.Column("property_type", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("year_built", sa.Integer, nullable=False),
        sa.Column("listed_at", sa.Date, nullable=True),
        # The full record (description, features, photos, agent) as JSON; search_text is what free text matches.
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
    )
    op.create_index("mls_by_city_price", "mls_listings", ["city_key", "status", "price_usd"])
    op.create_index("mls_by_status_price", "mls_listings", ["status", "price_usd"])
    op.create_index("mls_by_street", "mls_listings", ["street_key"])


def downgrade() -> None:
    op.drop_table("mls_listings")
