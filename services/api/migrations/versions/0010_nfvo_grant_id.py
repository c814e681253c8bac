"""vnf_lcm_op_occs.grant_id: the external NFVO's Grant of an op occ (SOL003 grantId)

Revision ID: 0010_nfvo
Revises: 0009
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_nfvo"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "vnf_lcm_op_occs", sa.Column("grant_id", sa.String(length=255), nullable=True), schema="api"
    )


def downgrade() -> None:
    op.drop_column("vnf_lcm_op_occs", "grant_id", schema="api")
