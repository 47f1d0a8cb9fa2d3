"""conversations: pseudonym, channel, locale, timestamps

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("pseudonym", "channel", name="uq_conversations_pseudonym_channel"),
    )
    op.create_index("ix_conversations_pseudonym", "conversations", ["pseudonym"])


def downgrade() -> None:
    op.drop_index("ix_conversations_pseudonym", table_name="conversations")
    op.drop_table("conversations")
