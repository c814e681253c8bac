"""devices, service_instances, vnf_lcm_op_occs: pending_since, when the api wrote a pending
state itself

Revision ID: 0010_orphans
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_orphans"
down_revision: str | None = "0010_nfvo"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("devices", "service_instances", "vnf_lcm_op_occs")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table, sa.Column("pending_since", sa.DateTime(timezone=True)), schema="api"
        )
        op.create_index(f"ix_api_{table}_pending_since", table, ["pending_since"], schema="api")


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_api_{table}_pending_since", table_name=table, schema="api")
        op.drop_column(table, "pending_since", schema="api")
