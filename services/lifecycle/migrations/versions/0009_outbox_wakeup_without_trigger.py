"""The relay is woken by the committing process, not by a NOTIFY from every commit.

A trigger's NOTIFY made every commit that wrote outbox rows take PostgreSQL's cluster-wide
notify lock through its WAL flush, one commit at a time. A commit in the process that runs
the relay now wakes it in memory; any other sends its NOTIFY itself (shared.db.relay_wakeup).

Revision ID: 0009_wakeup
Revises: 0008_replicas
"""

from collections.abc import Sequence

from alembic import op

from shared.db.tables import outbox_notify_ddl

revision: str = "0009_wakeup"
down_revision: str | None = "0008_replicas"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The trigger's own statements, the other way round.
TRIGGER, DROP_TRIGGER = outbox_notify_ddl("lifecycle")


def upgrade() -> None:
    for statement in DROP_TRIGGER:
        op.execute(statement)


def downgrade() -> None:
    for statement in TRIGGER:
        op.execute(statement)
