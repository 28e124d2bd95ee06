"""store items searched through the service's retrieval

An item's indexed texts become the chunks of a document of the tenant's store collection, so
the vector store and the lexical index hold them: ``store_items.document_id`` links the item to
that document (deleting the document deletes the item). The embeddings kept in the row go.
Items written before have no document: listed and filtered as before, searchable by ``query``
once put again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("store_items") as batch:
        batch.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_store_items_document_id_documents"),
            "documents",
            ["document_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.drop_column("vectors")
        batch.drop_column("vector_model")
    op.create_index("ix_store_items_document_id", "store_items", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_store_items_document_id", table_name="store_items")
    with op.batch_alter_table("store_items") as batch:
        batch.drop_constraint(op.f("fk_store_items_document_id_documents"), type_="foreignkey")
        batch.drop_column("document_id")
        batch.add_column(sa.Column("vectors", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("vector_model", sa.String(length=255), nullable=True))
