"""monitored devices and hosted services

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'monitored_devices',
        sa.Column('device_id', sa.Uuid(), nullable=False),
        sa.Column('monitor', sa.String(length=16), nullable=False),
        sa.Column('tenant_id', sa.String(length=255), nullable=False),
        sa.Column('mgmt_driver', sa.String(length=255), nullable=False),
        sa.Column('mgmt_address', sa.String(length=255), nullable=True),
        sa.Column('spec', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('next_probe_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('last_probe_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_ok', sa.Boolean(), nullable=True),
        sa.Column('last_latency_seconds', sa.Float(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('consecutive_failures', sa.Integer(), server_default='0', nullable=False),
        sa.Column('healthy', sa.Boolean(), server_default='true', nullable=False),
        sa.PrimaryKeyConstraint('device_id', 'monitor'),
        schema='mgmt',
    )
    op.create_index('monitored_devices_due', 'monitored_devices', ['next_probe_at'], unique=False, schema='mgmt')
    op.create_table(
        'hosted_services',
        sa.Column('instance_id', sa.Uuid(), nullable=False),
        sa.Column('device_id', sa.Uuid(), nullable=False),
        sa.Column('mgmt_driver', sa.String(length=255), nullable=True),
        sa.Column('configuration', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint('instance_id', 'device_id'),
        schema='mgmt',
    )
    op.create_index(op.f('ix_mgmt_hosted_services_device_id'), 'hosted_services', ['device_id'], unique=False, schema='mgmt')


def downgrade() -> None:
    op.drop_index(op.f('ix_mgmt_hosted_services_device_id'), table_name='hosted_services', schema='mgmt')
    op.drop_table('hosted_services', schema='mgmt')
    op.drop_index('monitored_devices_due', table_name='monitored_devices', schema='mgmt')
    op.drop_table('monitored_devices', schema='mgmt')
