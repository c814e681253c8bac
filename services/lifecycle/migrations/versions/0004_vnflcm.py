"""VNF lifecycle management: vnf_instances, vnfcs, vnf_lcm_op_occs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 11:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('vnf_instances',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.String(length=255), nullable=False),
    sa.Column('instantiation_state', sa.String(length=32), nullable=False),
    sa.Column('flavour', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('instantiation_level_id', sa.String(length=255), nullable=True),
    sa.Column('scale_status', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('vnf_state', sa.String(length=16), nullable=True),
    sa.Column('vim_id', sa.Uuid(), nullable=True),
    sa.Column('ext_virtual_links', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema='lifecycle'
    )
    op.create_index(op.f('ix_lifecycle_vnf_instances_tenant_id'), 'vnf_instances', ['tenant_id'], unique=False, schema='lifecycle')
    op.create_table('vnfcs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('vnf_instance_id', sa.Uuid(), nullable=False),
    sa.Column('vdu_id', sa.String(length=255), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('power_state', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.ForeignKeyConstraint(['vnf_instance_id'], ['lifecycle.vnf_instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('device_id'),
    schema='lifecycle'
    )
    op.create_index(op.f('ix_lifecycle_vnfcs_vnf_instance_id'), 'vnfcs', ['vnf_instance_id'], unique=False, schema='lifecycle')
    op.create_table('vnf_lcm_op_occs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('vnf_instance_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.String(length=255), nullable=False),
    sa.Column('operation', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('operation_params', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('is_automatic_invocation', sa.Boolean(), nullable=False),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state_entered_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('steps', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('rollback_steps', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('rolling_back', sa.Boolean(), nullable=False),
    sa.Column('target', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('cancel_mode', sa.String(length=16), nullable=True),
    sa.Column('error', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('changed_info', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('changed_ext_connectivity', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['vnf_instance_id'], ['lifecycle.vnf_instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    schema='lifecycle'
    )
    op.create_index(op.f('ix_lifecycle_vnf_lcm_op_occs_deadline'), 'vnf_lcm_op_occs', ['deadline'], unique=False, schema='lifecycle')
    op.create_index(op.f('ix_lifecycle_vnf_lcm_op_occs_state'), 'vnf_lcm_op_occs', ['state'], unique=False, schema='lifecycle')
    op.create_index(op.f('ix_lifecycle_vnf_lcm_op_occs_vnf_instance_id'), 'vnf_lcm_op_occs', ['vnf_instance_id'], unique=False, schema='lifecycle')


def downgrade() -> None:
    op.drop_index(op.f('ix_lifecycle_vnf_lcm_op_occs_vnf_instance_id'), table_name='vnf_lcm_op_occs', schema='lifecycle')
    op.drop_index(op.f('ix_lifecycle_vnf_lcm_op_occs_state'), table_name='vnf_lcm_op_occs', schema='lifecycle')
    op.drop_index(op.f('ix_lifecycle_vnf_lcm_op_occs_deadline'), table_name='vnf_lcm_op_occs', schema='lifecycle')
    op.drop_table('vnf_lcm_op_occs', schema='lifecycle')
    op.drop_index(op.f('ix_lifecycle_vnfcs_vnf_instance_id'), table_name='vnfcs', schema='lifecycle')
    op.drop_table('vnfcs', schema='lifecycle')
    op.drop_index(op.f('ix_lifecycle_vnf_instances_tenant_id'), table_name='vnf_instances', schema='lifecycle')
    op.drop_table('vnf_instances', schema='lifecycle')
