"""The unlock_attempts table replaces unlock_failures: attempts are counted when they start, not when they
fail, and keyed by the backup's identity (the same for each of its aliases), not by the name it was asked by.

The failures recorded before are dropped: they were keyed by names, and a restart forgot them anyway on the
in-memory log; the worst a guesser gains is one more free allowance, once.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unlock_attempts",
        sa.Column("backup_key", sa.Text(), primary_key=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.drop_table("unlock_failures")


def downgrade() -> None:
    op.create_table(
        "unlock_failures",
        sa.Column("backup_id", sa.Text(), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.drop_table("unlock_attempts")
