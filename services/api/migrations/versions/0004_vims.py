"""vims and the vim_id of templates and devices

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:56:25.697327
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('vims',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('auth_url', sa.String(length=255), nullable=False),
    sa.Column('region_name', sa.String(length=255), nullable=True),
    sa.Column('project_name', sa.String(length=255), nullable=True),
    sa.Column('project_domain_name', sa.String(length=255), nullable=True),
    sa.Column('project_id', sa.String(length=255), nullable=True),
    sa.Column('user_name', sa.String(length=255), nullable=True),
    sa.Column('user_domain_name', sa.String(length=255), nullable=True),
    sa.Column('application_credential_id', sa.String(length=255), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('status_revision', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema='api'
    )
    op.create_index(op.f('ix_api_vims_tenant_id'), 'vims', ['tenant_id'], unique=False, schema='api')
    op.create_index('vims_one_default_per_tenant', 'vims', ['tenant_id'], unique=True, schema='api', postgresql_where=sa.text('is_default'))
    op.add_column('device_templates', sa.Column('vim_id', sa.Uuid(), nullable=True), schema='api')
    op.create_index(op.f('ix_api_device_templates_vim_id'), 'device_templates', ['vim_id'], unique=False, schema='api')
    op.add_column('devices', sa.Column('vim_id', sa.Uuid(), nullable=True), schema='api')
    op.create_index(op.f('ix_api_devices_vim_id'), 'devices', ['vim_id'], unique=False, schema='api')


def downgrade() -> None:
    op.drop_index(op.f('ix_api_devices_vim_id'), table_name='devices', schema='api')
    op.drop_column('devices', 'vim_id', schema='api')
    op.drop_index(op.f('ix_api_device_templates_vim_id'), table_name='device_templates', schema='api')
    op.drop_column('device_templates', 'vim_id', schema='api')
    op.drop_index('vims_one_default_per_tenant', table_name='vims', schema='api', postgresql_where=sa.text('is_default'))
    op.drop_index(op.f('ix_api_vims_tenant_id'), table_name='vims', schema='api')
    op.drop_table('vims', schema='api')
