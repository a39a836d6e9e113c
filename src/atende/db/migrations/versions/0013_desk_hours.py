"""desk business hours

Revision ID: 0013_desk_hours
Revises: 0010_desk
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_desk_hours"
down_revision: str | None = "0010_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desk_business_hours",
        sa.Column("weekday", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=True),
        sa.Column("closes", sa.Time(), nullable=True),
        sa.PrimaryKeyConstraint("weekday", name=op.f("pk_desk_business_hours")),
    )


def downgrade() -> None:
    op.drop_table("desk_business_hours")
