"""Placement indexes that match the pick's whole ORDER BY (free slots, then id).

The pick orders by free slots then id; the old index held only the free slots, so among
devices with equal room (thousands, on a large template) PostgreSQL sorted them all to
find the first. With id in the index the first qualifying entry is the answer; spread
(emptiest first, then id) needs its own index for the mixed directions.

Revision ID: 0004_speed2
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_speed2"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FREE = "(slot_capacity - slots_used)"
_ACTIVE = "WHERE status = 'ACTIVE'"


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS scheduler.ix_scheduler_devices_placement")
    op.execute(
        f"CREATE INDEX ix_scheduler_devices_pack ON scheduler.devices "
        f"(template_id, {_FREE}, id) {_ACTIVE}"
    )
    op.execute(
        f"CREATE INDEX ix_scheduler_devices_spread ON scheduler.devices "
        f"(template_id, {_FREE} DESC, id) {_ACTIVE}"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS scheduler.ix_scheduler_devices_spread")
    op.execute("DROP INDEX IF EXISTS scheduler.ix_scheduler_devices_pack")
    op.execute(
        f"CREATE INDEX ix_scheduler_devices_placement ON scheduler.devices "
        f"(template_id, {_FREE}) {_ACTIVE}"
    )
