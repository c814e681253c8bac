"""devices: an index on (tenant_id, id), the order a project's device list is read in

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # It replaces the index on tenant_id alone: a project's page is read in id order.
    op.create_index("ix_api_devices_tenant_id_id", "devices", ["tenant_id", "id"], schema="api")
    op.drop_index("ix_api_devices_tenant_id", table_name="devices", schema="api")


def downgrade() -> None:
    op.create_index("ix_api_devices_tenant_id", "devices", ["tenant_id"], schema="api")
    op.drop_index("ix_api_devices_tenant_id_id", table_name="devices", schema="api")
