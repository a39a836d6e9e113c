"""voice: a call knows its caller's contact, so the desk shows calls in the contact's history

Revision ID: 0016_voice_call_contacts
Revises: 0006_voice
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_voice_call_contacts"
down_revision: str | None = "0006_voice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("voice_calls") as batch:
        batch.add_column(sa.Column("contact_sid", sa.String(length=34), nullable=True))
        batch.create_index(batch.f("ix_voice_calls_contact_sid"), ["contact_sid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("voice_calls") as batch:
        batch.drop_index(batch.f("ix_voice_calls_contact_sid"))
        batch.drop_column("contact_sid")
