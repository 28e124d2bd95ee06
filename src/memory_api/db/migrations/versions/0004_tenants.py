"""tenants and the collections registry

Every table a request addresses by its own key gets a tenant column (existing rows belong to
the default tenant): session states, collections, jobs. Documents are reached through their
collection and chunks through their document, which carry it. Collections become
rows of a registry: documents and jobs point at them by id. Each collection found in the
documents is registered with the model its documents record; its vectors stay where round 1
put them (the Chroma collection of the same name).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT = sa.text("'default'")
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
LIVE = sa.text("deleted_at IS NULL")


def _tenant() -> sa.Column[str]:
    return sa.Column("tenant", sa.String(length=63), nullable=False, server_default=DEFAULT)


def upgrade() -> None:
    op.drop_index("ix_session_states_updated_at", table_name="session_states")
    with op.batch_alter_table("session_states") as batch:
        batch.add_column(_tenant())
        batch.drop_constraint("pk_session_states", type_="primary")
        batch.create_primary_key("pk_session_states", ["tenant", "session_id"])
    op.create_index(
        "ix_session_states_tenant_updated_at",
        "session_states",
        ["tenant", "updated_at", "session_id"],
    )

    op.create_table(
        "collections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("embedding_model", sa.String(length=200), nullable=False),
        sa.Column("embedding_dimension", sa.Integer(), nullable=True),
        sa.Column("chunk_size", sa.Integer(), nullable=True),
        sa.Column("chunk_overlap", sa.Integer(), nullable=True),
        sa.Column("vector_collection", sa.String(length=128), nullable=False),
        sa.Column("metadata_json", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint("vector_collection", name=op.f("uq_collections_vector_collection")),
    )
    op.create_index(
        "uq_collections_tenant_name_live",
        "collections",
        ["tenant", "name"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.execute(
        "INSERT INTO collections (tenant, name, embedding_model, vector_collection, "
        "metadata_json, created_at) SELECT 'default', collection, MAX(embedding_model), "
        "collection, '{}', MIN(indexed_at) FROM documents GROUP BY collection"
        if op.get_bind().dialect.name != "postgresql"
        else "INSERT INTO collections (tenant, name, embedding_model, vector_collection, "
        "metadata_json, created_at) SELECT 'default', collection, MAX(embedding_model), "
        "collection, CAST('{}' AS JSONB), MIN(indexed_at) FROM documents GROUP BY collection"
    )

    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("collection_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE documents SET collection_id = (SELECT c.id FROM collections c "
        "WHERE c.tenant = 'default' AND c.name = documents.collection)"
    )
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("collection_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("uq_documents_collection_source_path", type_="unique")
        batch.drop_column("collection")
        batch.create_foreign_key(
            op.f("fk_documents_collection_id_collections"),
            "collections",
            ["collection_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint(
            "uq_documents_collection_id_source_path", ["collection_id", "source_path"]
        )

    with op.batch_alter_table("index_jobs") as batch:
        batch.add_column(_tenant())
        batch.add_column(sa.Column("collection_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE index_jobs SET collection_id = (SELECT c.id FROM collections c "
        "WHERE c.tenant = index_jobs.tenant AND c.name = index_jobs.collection)"
    )
    op.create_index("ix_index_jobs_tenant_created_at", "index_jobs", ["tenant", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_index_jobs_tenant_created_at", table_name="index_jobs")
    with op.batch_alter_table("index_jobs") as batch:
        batch.drop_column("collection_id")
        batch.drop_column("tenant")

    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("collection", sa.String(length=63), nullable=True))
    op.execute(
        "UPDATE documents SET collection = "
        "(SELECT c.name FROM collections c WHERE c.id = documents.collection_id)"
    )
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("collection", existing_type=sa.String(length=63), nullable=False)
        batch.drop_constraint("uq_documents_collection_id_source_path", type_="unique")
        batch.drop_constraint(op.f("fk_documents_collection_id_collections"), type_="foreignkey")
        batch.drop_column("collection_id")
        batch.create_unique_constraint(
            "uq_documents_collection_source_path", ["collection", "source_path"]
        )
    op.drop_index("uq_collections_tenant_name_live", table_name="collections")
    op.drop_table("collections")

    op.drop_index("ix_session_states_tenant_updated_at", table_name="session_states")
    with op.batch_alter_table("session_states") as batch:
        batch.drop_constraint("pk_session_states", type_="primary")
        batch.create_primary_key("pk_session_states", ["session_id"])
        batch.drop_column("tenant")
    op.create_index("ix_session_states_updated_at", "session_states", ["updated_at", "session_id"])
