"""index job control: request fingerprints (one active job per request), cancellation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_JOB = sa.text("status IN ('pending', 'in_progress')")


def upgrade() -> None:
    with op.batch_alter_table("index_jobs") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
    # Jobs queued before this revision have no fingerprint: they never absorb new requests.
    op.create_index(
        "uq_index_jobs_active_fingerprint",
        "index_jobs",
        ["fingerprint"],
        unique=True,
        sqlite_where=ACTIVE_JOB,
        postgresql_where=ACTIVE_JOB,
    )
    op.create_index("ix_index_jobs_created_at", "index_jobs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_index_jobs_created_at", table_name="index_jobs")
    op.drop_index("uq_index_jobs_active_fingerprint", table_name="index_jobs")
    with op.batch_alter_table("index_jobs") as batch:
        batch.drop_column("cancel_requested_at")
        batch.drop_column("fingerprint")
