"""Wake the outbox relay from a trigger instead of an extra statement per transaction.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

from shared.db.tables import outbox_notify_ddl

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE, DOWNGRADE = outbox_notify_ddl("lifecycle")


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
