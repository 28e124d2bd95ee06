"""lexical versions: what lets a process keep a term's postings in memory

``lexical_stats.generation`` counts the collection's lexical writes (a new collection starts at
the clock in nanoseconds, above any generation a collection of the same key had before it was
deleted) and ``lexical_terms.version`` is the generation of the last write that changed the
term's postings. A process holding a term's postings in memory (``search/lexical/memory.py``)
keeps them while the version it reads with the term's frequency is the one it loaded them at.
Existing rows start at 0; the first write after this raises them.

Searches no longer read a term's best postings by impact (0011): ``lexical_postings.impact``,
its index and ``lexical_stats.reference_length`` go; a term's postings are read in key order
from an index that holds what scoring needs (collection, term, chunk, tf, length).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    zero = sa.text("0")
    op.add_column(
        "lexical_stats",
        sa.Column("generation", sa.BigInteger(), nullable=False, server_default=zero),
    )
    op.add_column(
        "lexical_terms", sa.Column("version", sa.BigInteger(), nullable=False, server_default=zero)
    )
    op.drop_index("ix_lexical_postings_impact", table_name="lexical_postings")
    with op.batch_alter_table("lexical_postings") as batch:
        batch.drop_column("impact")
    with op.batch_alter_table("lexical_stats") as batch:
        batch.drop_column("reference_length")
    op.create_index(
        "ix_lexical_postings_term",
        "lexical_postings",
        ["collection_id", "term", "chunk_id", "tf", "length"],
    )


def downgrade() -> None:
    op.drop_index("ix_lexical_postings_term", table_name="lexical_postings")
    op.add_column("lexical_stats", sa.Column("reference_length", sa.Float(), nullable=True))
    op.add_column("lexical_postings", sa.Column("impact", sa.Float(), nullable=True))
    op.execute(  # as 0011 filled them in: k1 (1 - b) = 0.3 and k1 b = 0.9
        "UPDATE lexical_stats SET reference_length = "
        "CASE WHEN chunks > 0 AND total_length > 0 THEN total_length * 1.0 / chunks ELSE 1.0 END"
    )
    op.execute(
        "UPDATE lexical_postings SET impact = tf * 1.0 / (tf + 0.3 + 0.9 * length"
        " / COALESCE((SELECT s.reference_length FROM lexical_stats s"
        " WHERE s.collection_id = lexical_postings.collection_id), 1.0))"
    )
    with op.batch_alter_table("lexical_postings") as batch:
        batch.alter_column("impact", existing_type=sa.Float(), nullable=False)
    op.create_index(
        "ix_lexical_postings_impact",
        "lexical_postings",
        ["collection_id", "term", "impact", "chunk_id", "tf", "length"],
    )
    with op.batch_alter_table("lexical_terms") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("lexical_stats") as batch:
        batch.drop_column("generation")
