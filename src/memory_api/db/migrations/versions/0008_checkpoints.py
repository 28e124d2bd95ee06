"""LangGraph checkpoints and their pending writes

Two tables for ``memory_api.checkpoints``: one row per checkpoint of a thread and namespace
(the serializer's bytes and the metadata JSON), one per pending write of a task.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
KEY = 1024


def _key(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=KEY), nullable=False)


def upgrade() -> None:
    op.create_table(
        "lg_checkpoints",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        _key("thread_id"),
        _key("checkpoint_ns"),
        _key("checkpoint_id"),
        sa.Column("parent_checkpoint_id", sa.String(length=KEY), nullable=True),
        sa.Column("run_id", sa.String(length=KEY), nullable=True),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("checkpoint", sa.LargeBinary(), nullable=False),
        sa.Column("metadata", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant", "thread_id", "checkpoint_ns", "checkpoint_id", name=op.f("pk_lg_checkpoints")
        ),
    )
    op.create_index("ix_lg_checkpoints_tenant_run_id", "lg_checkpoints", ["tenant", "run_id"])
    op.create_table(
        "lg_checkpoint_writes",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        _key("thread_id"),
        _key("checkpoint_ns"),
        _key("checkpoint_id"),
        _key("task_id"),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        _key("task_path"),
        _key("channel"),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant",
            "thread_id",
            "checkpoint_ns",
            "checkpoint_id",
            "task_id",
            "idx",
            name=op.f("pk_lg_checkpoint_writes"),
        ),
    )


def downgrade() -> None:
    op.drop_table("lg_checkpoint_writes")
    op.drop_index("ix_lg_checkpoints_tenant_run_id", table_name="lg_checkpoints")
    op.drop_table("lg_checkpoints")
