"""index users.tokens_valid_after: every service polls the revocations since a time (/internal/revocations)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_users_tokens_valid_after"), "users", ["tokens_valid_after"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_users_tokens_valid_after"), table_name="users")
