"""LangGraph store items

One table for ``memory_api.store``: a JSON value per tenant, namespace and key, with its
timestamps, its TTL and the embeddings of its indexed texts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "store_items",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("namespace", sa.String(length=1024), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("value", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ttl_minutes", sa.Double(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vectors", sa.LargeBinary(), nullable=True),
        sa.Column("vector_model", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "namespace", "key", name=op.f("pk_store_items")),
    )
    op.create_index("ix_store_items_expires_at", "store_items", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_store_items_expires_at", table_name="store_items")
    op.drop_table("store_items")
