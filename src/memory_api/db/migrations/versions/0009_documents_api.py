"""documents keep their text and their creation time (documents sent by clients)

The text of a document is its system of record: re-chunking or re-embedding a document sent
over HTTP needs it, and nothing else holds it (chunks overlap). NULL for documents indexed
before this revision. ``created_at`` is when the document was first written (``indexed_at``
is its last write); existing rows take their ``indexed_at``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE documents SET created_at = indexed_at")
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("created_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("created_at")
        batch.drop_column("text")
