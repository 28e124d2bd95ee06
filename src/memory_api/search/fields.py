"""Where each filterable field lives in SQL: the seed's chunk metadata keys map to columns,
every other key to the document's metadata (JSON)."""

from __future__ import annotations

from typing import Literal, cast

from sqlalchemy import String, func, literal, type_coerce

from memory_api.documents.repository import chunks_table, documents_table
from memory_api.search.filters import FieldMap


def field_map(dialect: str, collection: str) -> FieldMap:
    """Fields of a search in ``collection`` (``relative_path`` lives in the metadata)."""
    documents, chunks = documents_table.c, chunks_table.c
    return FieldMap(
        dialect=cast(Literal["sqlite", "postgresql"], dialect),
        metadata=documents.metadata_json,
        columns={
            "source": type_coerce(func.coalesce(documents.source_path, documents.doc_id), String),
            "extension": documents.extension,
            "chunk_index": chunks.position,
            "collection": literal(collection, String),
            "doc_id": documents.doc_id,
        },
    )
