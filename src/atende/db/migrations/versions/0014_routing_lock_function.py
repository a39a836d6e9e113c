"""one round trip to lock a workspace and read its routing version (PostgreSQL)

Revision ID: 0014_routing_lock_function
Revises: 0012_routing_nodes
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_routing_lock_function"
down_revision: str | None = "0012_routing_nodes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# VOLATILE: each statement inside takes a fresh snapshot, so the version is read after the lock
# is granted (a single SELECT calling both would read it from a snapshot taken before the wait).
_CREATE = """
CREATE OR REPLACE FUNCTION atende_lock_workspace(lock_key bigint, workspace varchar)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN COALESCE(
        (SELECT version FROM taskrouter_routing_versions WHERE workspace_sid = workspace), 0
    );
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS atende_lock_workspace(bigint, varchar)")
