"""lexical versions: what lets a process keep a term's postings in memory and bring them up to date

``lexical_stats.generation`` counts the collection's lexical writes (a new collection starts at
the clock in nanoseconds, above any generation a collection of the same key had before it was
deleted); ``lexical_terms.version`` is the generation of the last write that changed the term's
postings and ``lexical_postings.generation`` the one that added the posting;
``lexical_removals`` logs the chunks each write removed, complete for the generations above
``lexical_stats.removals_from``. A process holding a term's postings in memory
(``search/lexical/memory.py``) keeps them while the term's version is the one it loaded them
at, and otherwise applies what was added and removed since (or reads them again). Existing rows
start at 0; the first write after this raises them.

Searches no longer read a term's best postings by impact (0011): ``lexical_postings.impact``,
its index and ``lexical_stats.reference_length`` go; a term's postings are read from an index
that holds what scoring needs, by generation (collection, term, generation, chunk, tf, length).

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
    for table, column in [
        ("lexical_stats", "generation"),
        ("lexical_stats", "removals_from"),
        ("lexical_terms", "version"),
        ("lexical_postings", "generation"),
    ]:
        op.add_column(
            table, sa.Column(column, sa.BigInteger(), nullable=False, server_default=zero)
        )
    op.create_table(
        "lexical_removals",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("chunk_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_lexical_removals_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "collection_id", "generation", "chunk_id", name=op.f("pk_lexical_removals")
        ),
    )
    op.drop_index("ix_lexical_postings_impact", table_name="lexical_postings")
    with op.batch_alter_table("lexical_postings") as batch:
        batch.drop_column("impact")
    with op.batch_alter_table("lexical_stats") as batch:
        batch.drop_column("reference_length")
    op.create_index(
        "ix_lexical_postings_term",
        "lexical_postings",
        ["collection_id", "term", "generation", "chunk_id", "tf", "length"],
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
        batch.drop_column("generation")
    op.create_index(
        "ix_lexical_postings_impact",
        "lexical_postings",
        ["collection_id", "term", "impact", "chunk_id", "tf", "length"],
    )
    op.drop_table("lexical_removals")
    with op.batch_alter_table("lexical_terms") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("lexical_stats") as batch:
        batch.drop_column("removals_from")
        batch.drop_column("generation")
