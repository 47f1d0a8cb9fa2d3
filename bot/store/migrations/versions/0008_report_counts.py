"""daily_counts: identity-free counters for the supervisors' reports (contacts, topics asked, danger
replies, handoffs, waiting and handling minutes, outcomes, erasures), one row per day and category

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daily_counts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False, server_default=""),
        sa.Column("locale", sa.String(16), nullable=False, server_default=""),
        sa.Column("country", sa.String(2), nullable=False, server_default=""),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False, server_default=""),
        sa.Column("count", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint(
            "day", "channel", "locale", "country", "metric", "key", name="uq_daily_counts_cell"
        ),
    )
    op.create_index("ix_daily_counts_day", "daily_counts", ["day"])


def downgrade() -> None:
    op.drop_index("ix_daily_counts_day", table_name="daily_counts")
    op.drop_table("daily_counts")
