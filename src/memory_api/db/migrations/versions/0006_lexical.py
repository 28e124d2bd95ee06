"""lexical (BM25) index: postings, chunk lengths, document frequencies, collection totals

Empty at first: chunks indexed before this revision are found by semantic search only until
``memory-api check --repair`` (or a ``force_reindex``) builds their postings (README).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _collection_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["collection_id"],
        ["collections.id"],
        name=op.f(f"fk_{table}_collection_id_collections"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "lexical_postings",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("chunk_id", sa.Integer(), nullable=False),
        sa.Column("tf", sa.Integer(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        _collection_fk("lexical_postings"),
        sa.PrimaryKeyConstraint(
            "collection_id", "term", "chunk_id", name=op.f("pk_lexical_postings")
        ),
    )
    op.create_index("ix_lexical_postings_chunk_id", "lexical_postings", ["chunk_id"])
    op.create_table(
        "lexical_chunks",
        sa.Column("chunk_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        _collection_fk("lexical_chunks"),
        sa.PrimaryKeyConstraint("chunk_id", name=op.f("pk_lexical_chunks")),
    )
    op.create_index("ix_lexical_chunks_collection_id", "lexical_chunks", ["collection_id"])
    op.create_table(
        "lexical_terms",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        _collection_fk("lexical_terms"),
        sa.PrimaryKeyConstraint("collection_id", "term", name=op.f("pk_lexical_terms")),
    )
    op.create_table(
        "lexical_stats",
        sa.Column("collection_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("total_length", sa.Integer(), nullable=False),
        _collection_fk("lexical_stats"),
        sa.PrimaryKeyConstraint("collection_id", name=op.f("pk_lexical_stats")),
    )


def downgrade() -> None:
    op.drop_table("lexical_stats")
    op.drop_table("lexical_terms")
    op.drop_index("ix_lexical_chunks_collection_id", table_name="lexical_chunks")
    op.drop_table("lexical_chunks")
    op.drop_index("ix_lexical_postings_chunk_id", table_name="lexical_postings")
    op.drop_table("lexical_postings")
