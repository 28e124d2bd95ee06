"""session states

Revision ID: 0001
Revises:
Create Date: 2026-11-24
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
        "session_states",
        sa.Column("session_id", sa.String(length=256), nullable=False),
        sa.Column("state_data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_session_states")),
    )
    op.create_index("ix_session_states_updated_at", "session_states", ["updated_at", "session_id"])


def downgrade() -> None:
    op.drop_index("ix_session_states_updated_at", table_name="session_states")
    op.drop_table("session_states")
