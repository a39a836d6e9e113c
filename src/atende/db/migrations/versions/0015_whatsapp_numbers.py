"""messaging: WhatsApp Business numbers managed in /admin

Revision ID: 0015_whatsapp_numbers
Revises: 0007_messaging
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0015_whatsapp_numbers"
down_revision: str | None = "0007_messaging"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_numbers",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone_number_id", sa.String(length=40), nullable=False),
        sa.Column("display_phone_number", sa.String(length=40), nullable=False),
        sa.Column("access_token", sa.String(length=1000), nullable=False),
        sa.Column("workflow_sid", sa.String(length=34), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", atende.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", atende.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_whatsapp_numbers")),
        sa.UniqueConstraint("phone_number_id", name=op.f("uq_whatsapp_numbers_phone_number_id")),
    )


def downgrade() -> None:
    op.drop_table("whatsapp_numbers")
