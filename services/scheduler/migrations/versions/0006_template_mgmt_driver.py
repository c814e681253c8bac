"""The scheduler's templates remember their management driver.

A service instance whose management driver configures nothing (``shared.contracts.
mgmt_drivers``) is made ACTIVE where it is placed, without the round trip through mgmt; the
scheduler needs the template's driver to know. Templates projected before this revision
have none (NULL) until their next event: their instances go through mgmt, as before.

Revision ID: 0006_mgmt_driver
Revises: 0005_wakeup
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_mgmt_driver"
down_revision: str | None = "0005_wakeup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "templates", sa.Column("mgmt_driver", sa.String(255), nullable=True), schema="scheduler"
    )


def downgrade() -> None:
    op.drop_column("templates", "mgmt_driver", schema="scheduler")
