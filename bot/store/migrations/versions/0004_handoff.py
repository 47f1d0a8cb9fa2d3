"""handoff to counsellors: counsellors, handoffs, transcript_messages (encrypted), audit_events,
canned_replies

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "counsellors",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("languages", sa.String(255), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False, server_default="2"),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", name="uq_counsellors_name"),
    )
    op.create_table(
        "handoffs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("nickname", sa.String(32), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "counsellor_id",
            sa.Integer(),
            sa.ForeignKey("counsellors.id", name="fk_handoffs_counsellor_id"),
            nullable=True,
        ),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("mismatch", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_handoffs_pseudonym", "handoffs", ["pseudonym"])
    op.create_index("ix_handoffs_queued_at", "handoffs", ["queued_at"])
    op.create_index("ix_handoffs_resolved_at", "handoffs", ["resolved_at"])
    op.create_table(
        "transcript_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "handoff_id",
            sa.String(32),
            sa.ForeignKey("handoffs.id", name="fk_transcript_messages_handoff_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("message_key", sa.String(64), nullable=False),
        sa.UniqueConstraint("handoff_id", "message_key", name="uq_transcript_messages_handoff_key"),
    )
    op.create_index("ix_transcript_messages_handoff_id", "transcript_messages", ["handoff_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "counsellor_id",
            sa.Integer(),
            sa.ForeignKey("counsellors.id", name="fk_audit_events_counsellor_id"),
            nullable=True,
        ),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("handoff_id", sa.String(32), nullable=True),
        sa.Column("detail", sa.String(200), nullable=False, server_default=""),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_handoff_id", "audit_events", ["handoff_id"])
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_by",
            sa.Integer(),
            sa.ForeignKey("counsellors.id", name="fk_canned_replies_created_by"),
            nullable=True,
        ),
    )
    op.create_index("ix_canned_replies_locale", "canned_replies", ["locale"])


def downgrade() -> None:
    op.drop_index("ix_canned_replies_locale", table_name="canned_replies")
    op.drop_table("canned_replies")
    op.drop_index("ix_audit_events_handoff_id", table_name="audit_events")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_transcript_messages_handoff_id", table_name="transcript_messages")
    op.drop_table("transcript_messages")
    op.drop_index("ix_handoffs_resolved_at", table_name="handoffs")
    op.drop_index("ix_handoffs_queued_at", table_name="handoffs")
    op.drop_index("ix_handoffs_pseudonym", table_name="handoffs")
    op.drop_table("handoffs")
    op.drop_table("counsellors")
