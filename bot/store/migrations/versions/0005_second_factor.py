"""counsellors: a second factor (TOTP secret as a Fernet token, the last time step used) and a login alert
for admins; the lockout after wrong passwords (failed_logins, locked_until) is gone: strangers could use it
to lock counsellors out, and logins are now throttled per source instead (issue 14)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# "never": ALTER TABLE in place (SQLite 3.35+ drops columns itself). Copying the table, Alembic's batch way,
# would drop `counsellors` under the handoffs and audit lines that name its rows, which SQLite refuses.


def upgrade() -> None:
    with op.batch_alter_table("counsellors", recreate="never") as batch:
        batch.add_column(sa.Column("totp_secret", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("login_alert_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("counsellors", recreate="never") as batch:
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_column("login_alert_at")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_secret")
