"""messaging: each WhatsApp number may run its own bot flow (None: the default chat flow)

Revision ID: 0017_whatsapp_number_flows
Revises: 0015_whatsapp_numbers
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_whatsapp_number_flows"
down_revision: str | None = "0015_whatsapp_numbers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("whatsapp_numbers") as batch:
        batch.add_column(sa.Column("flow", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("whatsapp_numbers") as batch:
        batch.drop_column("flow")
