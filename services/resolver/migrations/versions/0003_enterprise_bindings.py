"""enterprise bindings (owner proven by a node record or approved, invited colleagues) and their audit trail

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

Accounts bound before this revision have no row here; identity still holds their binding, and they keep it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enterprise_bindings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("enterprise_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.Column("challenge", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_enterprise_bindings_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_bindings")),
    )
    op.create_index(
        "uq_enterprise_bindings_open",
        "enterprise_bindings",
        ["enterprise_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'active')"),
    )
    op.create_index(
        "uq_enterprise_bindings_owner",
        "enterprise_bindings",
        ["enterprise_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active' AND role = 'owner'"),
    )
    op.create_index("ix_enterprise_bindings_status", "enterprise_bindings", ["status", "requested_at"], unique=False)
    op.create_index(op.f("ix_enterprise_bindings_user_id"), "enterprise_bindings", ["user_id"], unique=False)
    op.create_table(
        "binding_audit",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("enterprise_id", sa.UUID(), nullable=False),
        sa.Column("binding_id", sa.UUID(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column("actor_name", sa.String(length=128), nullable=True),
        sa.Column("subject_user_id", sa.UUID(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_binding_audit")),
    )
    op.create_index(op.f("ix_binding_audit_enterprise_id"), "binding_audit", ["enterprise_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_binding_audit_enterprise_id"), table_name="binding_audit")
    op.drop_table("binding_audit")
    op.drop_index(op.f("ix_enterprise_bindings_user_id"), table_name="enterprise_bindings")
    op.drop_index("ix_enterprise_bindings_status", table_name="enterprise_bindings")
    op.drop_index("uq_enterprise_bindings_owner", table_name="enterprise_bindings")
    op.drop_index("uq_enterprise_bindings_open", table_name="enterprise_bindings")
    op.drop_table("enterprise_bindings")
