"""documents by id, whatever their source; chunks keyed by integers, vectors by text hash

Documents get a public ``doc_id`` (``file:`` + sha256 of the path for files indexed from a
folder) and a ``source_kind``; the path stays as ``source_path``. Chunks get integer keys, the
text that was embedded when it differs from the returned text, and their layout. Vectors are
now keyed by the sha256 of the indexed text (one vector per distinct text): the vectors of
existing collections are under the old ids until ``memory-api check --repair`` rebuilds them
(the README's upgrade note).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def path_doc_id(path: str) -> str:
    """Kept in step with documents.identity.path_doc_id (a migration must not import it)."""
    return "file:" + hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("doc_id", sa.String(length=512), nullable=True))
        batch.add_column(
            sa.Column("source_kind", sa.String(length=16), nullable=False, server_default="path")
        )
    documents = sa.table(
        "documents",
        sa.column("id", sa.Integer()),
        sa.column("source_path", sa.Text()),
        sa.column("doc_id", sa.String()),
    )
    rows = bind.execute(sa.select(documents.c.id, documents.c.source_path)).all()
    for row in rows:
        bind.execute(
            documents.update()
            .where(documents.c.id == row.id)
            .values(doc_id=path_doc_id(row.source_path))
        )
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("doc_id", existing_type=sa.String(length=512), nullable=False)
        batch.alter_column("source_kind", existing_type=sa.String(length=16), server_default=None)
        batch.alter_column("source_path", existing_type=sa.Text(), nullable=True)
        batch.create_unique_constraint(
            "uq_documents_collection_id_doc_id", ["collection_id", "doc_id"]
        )

    # Chunks: a new table with integer keys, filled from the old one.
    op.drop_index("ix_chunks_document_id_position", table_name="chunks")
    op.rename_table("chunks", "chunks_old")
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE chunks_old RENAME CONSTRAINT pk_chunks TO pk_chunks_old")
        op.execute(
            "ALTER TABLE chunks_old RENAME CONSTRAINT fk_chunks_document_id_documents "
            "TO fk_chunks_old_document_id_documents"
        )
    op.create_table(
        "chunks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("index_text", sa.Text(), nullable=True),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("layout", JSON_DOCUMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_chunks_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chunks")),
    )
    op.execute(
        "INSERT INTO chunks (document_id, position, text, text_hash) "
        "SELECT document_id, position, text, text_hash FROM chunks_old "
        "ORDER BY document_id, position"
    )
    op.drop_table("chunks_old")
    op.create_index(
        "ix_chunks_document_id_position", "chunks", ["document_id", "position"], unique=True
    )
    op.create_index("ix_chunks_text_hash", "chunks", ["text_hash"])


def downgrade() -> None:
    """Back to chunks keyed by (collection, path, position); documents that have no path
    (sent by clients) cannot exist in 0004 and are dropped with their chunks."""
    bind = op.get_bind()
    op.execute("DELETE FROM chunks WHERE document_id IN "
               "(SELECT id FROM documents WHERE source_path IS NULL)")  # fmt: skip
    op.execute("DELETE FROM documents WHERE source_path IS NULL")
    op.drop_index("ix_chunks_text_hash", table_name="chunks")
    op.drop_index("ix_chunks_document_id_position", table_name="chunks")
    op.rename_table("chunks", "chunks_new")
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE chunks_new RENAME CONSTRAINT pk_chunks TO pk_chunks_new")
        op.execute(
            "ALTER TABLE chunks_new RENAME CONSTRAINT fk_chunks_document_id_documents "
            "TO fk_chunks_new_document_id_documents"
        )
    op.create_table(
        "chunks",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_chunks_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chunks")),
    )
    rows = bind.execute(
        sa.text(
            "SELECT c.document_id, c.position, c.text, c.text_hash, d.source_path, k.name "
            "FROM chunks_new c JOIN documents d ON d.id = c.document_id "
            "JOIN collections k ON k.id = d.collection_id"
        )
    ).all()
    chunks = sa.table(
        "chunks", *(sa.column(name) for name in ("id", "document_id", "position", "text",
                                                 "text_hash"))
    )  # fmt: skip
    for row in rows:
        digest = hashlib.sha256(f"{row.name}\0{row.source_path}".encode()).hexdigest()[:32]
        bind.execute(
            chunks.insert().values(
                id=f"{digest}-{row.position}",
                document_id=row.document_id,
                position=row.position,
                text=row.text,
                text_hash=row.text_hash,
            )
        )
    op.drop_table("chunks_new")
    op.create_index(
        "ix_chunks_document_id_position", "chunks", ["document_id", "position"], unique=True
    )
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint("uq_documents_collection_id_doc_id", type_="unique")
        batch.alter_column("source_path", existing_type=sa.Text(), nullable=False)
        batch.drop_column("source_kind")
        batch.drop_column("doc_id")
