"""ops: one-time password setup links for accounts approved without SSO

Revision ID: 0011_ops_password_setup
Revises: 0003_ops
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0011_ops_password_setup"
down_revision: str | None = "0003_ops"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "password_setup_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", atende.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", atende.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", atende.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_setup_tokens")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_password_setup_tokens_token_digest")),
    )
    with op.batch_alter_table("password_setup_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_setup_tokens_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("password_setup_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_setup_tokens_user_id"))

    op.drop_table("password_setup_tokens")
