"""grants of an external NFVO on vnf_lcm_op_occs

Revision ID: 0006_nfvo
Revises: 0005
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0006_nfvo'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('vnf_lcm_op_occs', sa.Column('nfvo_grant', postgresql.JSONB(astext_type=sa.Text()), nullable=True), schema='lifecycle')
    op.add_column('vnf_lcm_op_occs', sa.Column('grant_claimed_until', sa.DateTime(timezone=True), nullable=True), schema='lifecycle')


def downgrade() -> None:
    op.drop_column('vnf_lcm_op_occs', 'grant_claimed_until', schema='lifecycle')
    op.drop_column('vnf_lcm_op_occs', 'nfvo_grant', schema='lifecycle')
