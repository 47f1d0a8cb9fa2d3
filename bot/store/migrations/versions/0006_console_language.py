"""counsellors: the language the console is shown in (a locale code; NULL: the browser's language)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# "never": ALTER TABLE in place, as in 0005 (copying `counsellors` would drop it under the rows naming it).


def upgrade() -> None:
    with op.batch_alter_table("counsellors", recreate="never") as batch:
        batch.add_column(sa.Column("console_language", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("counsellors", recreate="never") as batch:
        batch.drop_column("console_language")
