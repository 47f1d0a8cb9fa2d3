"""abuse handling: abuse_flags (a counsellor's flag on a chat, a reason key) and blocks (a pseudonym that may
not reach counsellors until a time); both hold the keyed pseudonym only, never an identity or text

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "abuse_flags",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("handoff_id", sa.String(32), nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "counsellor_id",
            sa.Integer(),
            sa.ForeignKey("counsellors.id", name="fk_abuse_flags_counsellor_id"),
            nullable=True,
        ),
    )
    op.create_index("ix_abuse_flags_handoff_id", "abuse_flags", ["handoff_id"])
    op.create_index("ix_abuse_flags_pseudonym", "abuse_flags", ["pseudonym"])
    op.create_index("ix_abuse_flags_flagged_at", "abuse_flags", ["flagged_at"])
    op.create_table(
        "blocks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("handoff_id", sa.String(32), nullable=True),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "counsellor_id",
            sa.Integer(),
            sa.ForeignKey("counsellors.id", name="fk_blocks_counsellor_id"),
            nullable=True,
        ),
        sa.UniqueConstraint("pseudonym", name="uq_blocks_pseudonym"),
    )
    op.create_index("ix_blocks_until", "blocks", ["until"])


def downgrade() -> None:
    op.drop_index("ix_blocks_until", table_name="blocks")
    op.drop_table("blocks")
    op.drop_index("ix_abuse_flags_flagged_at", table_name="abuse_flags")
    op.drop_index("ix_abuse_flags_pseudonym", table_name="abuse_flags")
    op.drop_index("ix_abuse_flags_handoff_id", table_name="abuse_flags")
    op.drop_table("abuse_flags")
