"""Lexical postings ordered by impact

``lexical_postings.impact`` (BM25's term-frequency part at the collection's reference average
length, ``search/lexical/scoring.py``) with an index on (collection, term, impact, chunk, tf,
length: the best postings are read from the index alone), the by-chunk index covering term,
tf and length too (a search's lookups of common terms in given chunks), and
``lexical_stats.reference_length``: a search reads only the best postings of a term found in
most chunks. Existing rows are filled in from their tf and length, with the collection's
current average length as its reference.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# scoring.BM25's defaults when this was written: k1 = 1.2, b = 0.75


def upgrade() -> None:
    op.add_column("lexical_stats", sa.Column("reference_length", sa.Float(), nullable=True))
    op.add_column("lexical_postings", sa.Column("impact", sa.Float(), nullable=True))
    op.execute(
        "UPDATE lexical_stats SET reference_length = "
        "CASE WHEN chunks > 0 AND total_length > 0 THEN total_length * 1.0 / chunks ELSE 1.0 END"
    )
    op.execute(
        # k1 (1 - b) = 0.3 and k1 b = 0.9
        "UPDATE lexical_postings SET impact = tf * 1.0 / (tf + 0.3 + 0.9 * length"
        " / COALESCE((SELECT s.reference_length FROM lexical_stats s"
        " WHERE s.collection_id = lexical_postings.collection_id), 1.0))"
    )
    with op.batch_alter_table("lexical_postings") as batch:
        batch.alter_column("impact", existing_type=sa.Float(), nullable=False)
    op.drop_index("ix_lexical_postings_chunk_id", table_name="lexical_postings")
    op.create_index(
        "ix_lexical_postings_chunk_id", "lexical_postings", ["chunk_id", "term", "tf", "length"]
    )
    op.create_index(
        "ix_lexical_postings_impact",
        "lexical_postings",
        ["collection_id", "term", "impact", "chunk_id", "tf", "length"],
    )


def downgrade() -> None:
    op.drop_index("ix_lexical_postings_impact", table_name="lexical_postings")
    op.drop_index("ix_lexical_postings_chunk_id", table_name="lexical_postings")
    op.create_index("ix_lexical_postings_chunk_id", "lexical_postings", ["chunk_id"])
    with op.batch_alter_table("lexical_postings") as batch:
        batch.drop_column("impact")
    with op.batch_alter_table("lexical_stats") as batch:
        batch.drop_column("reference_length")
