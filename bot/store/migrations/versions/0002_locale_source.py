"""conversations.locale_source: how the locale was chosen (explicit, detected, client, default)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("locale_source", sa.String(16), nullable=False, server_default="client"))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("locale_source")
