"""session state: expiry and the history of versions

``session_states.expires_at`` (NULL: kept until deleted) with an index for the sweeper, and
``session_state_history``: the last versions of each session, removed with their session.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("session_states") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_session_states_expires_at", "session_states", ["expires_at"])
    op.create_table(
        "session_state_history",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("session_id", sa.String(length=256), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state_data", sa.JSON(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "session_id"],
            ["session_states.tenant", "session_states.session_id"],
            name=op.f("fk_session_state_history_tenant_session_states"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant", "session_id", "version", name=op.f("pk_session_state_history")
        ),
    )


def downgrade() -> None:
    op.drop_table("session_state_history")
    op.drop_index("ix_session_states_expires_at", table_name="session_states")
    with op.batch_alter_table("session_states") as batch:
        batch.drop_column("expires_at")
