"""Bodies of the document endpoints: documents sent by clients, and the catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from memory_api.http.schemas import StrictRequest

DOC_ID_PATTERN = r"^[A-Za-z0-9._~:@-]{1,512}$"
DOC_ID_RULE = (
    "1 to 512 characters from A-Z a-z 0-9 . _ ~ : @ - (URL-safe; send '.' and '..' as %2E "
    "and %2E%2E); not 'batch' (the batch endpoint's path); ids starting with 'file:' are "
    "those of files indexed from folders"
)
#: metadata keys the service sets or derives: a client may not send them
RESERVED_KEYS = frozenset(
    {
        "chunk_index",
        "collection",
        "content_hash",
        "doc_id",
        "extension",
        "filename",
        "relative_path",
        "source",
        "source_kind",
    }
)
MAX_BATCH = 1000
Metadata = Annotated[
    dict[str, Any],
    Field(
        description="Any JSON object; filterable in /rag_query. Reserved keys (set by the "
        f"service) are refused: {', '.join(sorted(RESERVED_KEYS))}."
    ),
]
Source = Literal["path", "upload", "api", "store"]
WriteStatus = Literal["created", "replaced", "unchanged"]


class DocumentPut(StrictRequest):
    text: str = Field(min_length=1, description="The document's text, split and embedded.")
    metadata: Metadata = Field(default_factory=dict)


class BatchDocument(StrictRequest):
    """One document of a batch; its doc_id and metadata are checked one by one, so a bad one
    is reported in its result and does not refuse the others."""

    doc_id: str = Field(description=f"The document's id: {DOC_ID_RULE}.")
    text: str = Field(description="The document's text (not empty).")
    metadata: Metadata = Field(default_factory=dict)


class BatchRequest(StrictRequest):
    documents: list[BatchDocument] = Field(min_length=1, max_length=MAX_BATCH)


class DocumentWritten(BaseModel):
    doc_id: str
    status: WriteStatus = Field(
        description='"created", "replaced", or "unchanged" (same text and metadata: nothing '
        "was written or embedded)."
    )
    content_hash: str = Field(description="sha256 of the text.")
    chunk_count: int


class BatchItemResult(BaseModel):
    doc_id: str
    status: WriteStatus | Literal["error"]
    content_hash: str | None = None
    chunk_count: int | None = None
    detail: str | None = Field(None, description='Why the document was refused ("error").')


class BatchResponse(BaseModel):
    """One result per document, in request order. Documents with an error were not written;
    all the others were, in one transaction."""

    results: list[BatchItemResult]
    created: int
    replaced: int
    unchanged: int
    errors: int


class DocumentSummary(BaseModel):
    doc_id: str
    source: Source = Field(
        description='"api" (PUT or batch), "upload" (POST .../files), "path" (a folder) or '
        '"store" (the indexed texts of a store item, in the "langgraph-store" collection).'
    )
    source_path: str | None = Field(description="The file's path, for documents from a folder.")
    extension: str
    content_hash: str
    size_bytes: int
    chunk_count: int
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ChunkOut(BaseModel):
    position: int = Field(description="0, 1, ... in the document's order.")
    text: str = Field(description="The chunk as a search returns it.")


class DocumentDetail(DocumentSummary):
    text: str | None = Field(
        description="The full text; null for files indexed before the service kept it."
    )
    chunks: list[ChunkOut] | None = Field(
        None, description="The document's chunks in order, with `include_chunks=true`; else null."
    )


class DocumentPage(BaseModel):
    documents: list[DocumentSummary]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class UploadResponse(BaseModel):
    documents: list[DocumentWritten] = Field(description="One per file, in upload order.")
