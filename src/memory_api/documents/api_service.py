"""Documents sent by clients: write (one or a batch), list, read, delete.

A write splits each text with its collection's chunking, embeds only the texts the collection
has no vector for (one embedding batch per request), then writes every document in one
transaction (``DocumentWriter``): when the response returns, the documents are in every index.
A document whose text and metadata are those stored is "unchanged": nothing is written.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from memory_api.auth.principal import PrincipalDep
from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.collections.service import CollectionService, chunking_of
from memory_api.components import Components, ComponentsDep
from memory_api.documents.api_schemas import (
    BatchItemResult,
    BatchResponse,
    ChunkOut,
    DocumentDetail,
    DocumentPage,
    DocumentSummary,
    DocumentWritten,
    WriteStatus,
)
from memory_api.documents.catalog import DocumentCatalog, DocumentRow
from memory_api.documents.identity import API, text_hash
from memory_api.documents.repository import DocumentRepository, NewChunk, NewDocument
from memory_api.documents.rules import (
    check_doc_id,
    check_metadata,
    check_writable_doc_id,
    decode_cursor,
    encode_cursor,
)
from memory_api.errors import InvalidInput, NotFound
from memory_api.ingestion.splitter import Splitter
from memory_api.ingestion.writer import DocumentWriter


class DocumentNotFound(NotFound):
    default_detail = "Document not found"


@dataclass(frozen=True)
class Incoming:
    """A document to write, as a client sent it (checked by ``check_document``)."""

    doc_id: str
    text: str
    metadata: dict[str, Any]
    source: str = API
    extension: str = ""


def check_document(document: Incoming) -> None:
    """422 for what a client may not write: a bad doc_id, a folder's doc_id, an empty text,
    reserved metadata keys."""
    check_writable_doc_id(document.doc_id)
    if not document.text:
        raise InvalidInput(f"document {document.doc_id!r}: text is empty")
    check_metadata(document.metadata, f"document {document.doc_id!r}: ")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _new_document(splitter: Splitter, document: Incoming) -> NewDocument:
    chunks = [
        NewChunk(
            position=position,
            text=piece.text,
            index_text=piece.index_text,
            text_hash=text_hash(piece.index_text),
            layout=piece.layout.as_json() if piece.layout else None,
        )
        for position, piece in enumerate(splitter.split(document.text, document.extension))
    ]
    return NewDocument(
        doc_id=document.doc_id,
        source_kind=document.source,
        source_path=None,
        extension=document.extension,
        content_hash=content_hash(document.text),
        size_bytes=len(document.text.encode("utf-8", "surrogatepass")),
        metadata=document.metadata,
        chunks=chunks,
        text=document.text,
    )


def summary(row: DocumentRow) -> dict[str, Any]:
    return {
        "doc_id": row.doc_id,
        "source": row.source_kind,
        "source_path": row.source_path,
        "extension": row.extension,
        "content_hash": row.content_hash,
        "size_bytes": row.size_bytes,
        "chunk_count": row.chunk_count,
        "metadata": row.metadata,
        "created_at": row.created_at,
        "updated_at": row.indexed_at,
    }


class DocumentsService:
    def __init__(self, components: Components, tenant: str) -> None:
        self.components = components
        self.tenant = tenant
        self.writer = DocumentWriter.of(components)

    def _collections(self, session: Any) -> CollectionService:
        components = self.components
        return CollectionService(
            CollectionRepository(session), components.embedder, components.settings, self.tenant
        )

    async def for_writing(self, name: str) -> CollectionRecord:
        """The collection (the default one is created by its first writer): 404, 409, 503."""
        async with self.components.database.unit_of_work() as session:
            return await self._collections(session).resolve(name)

    async def _for_reading(self, name: str) -> CollectionRecord | None:
        async with self.components.database.reading() as session:
            return await self._collections(session).find(name)

    async def write(
        self, collection: CollectionRecord, documents: Sequence[Incoming]
    ) -> list[DocumentWritten]:
        """Write checked documents (distinct doc_ids) in one embedding batch and one
        transaction; their results in the same order."""
        async with self.components.database.reading() as session:
            stored = await DocumentCatalog(session).fingerprints(
                collection.id, [document.doc_id for document in documents]
            )
        splitter = Splitter(*chunking_of(collection, self.components.settings))
        changed = [
            document
            for document in documents
            if document.doc_id not in stored
            or stored[document.doc_id][:2] != (content_hash(document.text), document.metadata)
        ]
        new = await asyncio.to_thread(lambda: [_new_document(splitter, d) for d in changed])
        replaced: frozenset[str] = frozenset()
        if new:
            embedded = await self.writer.embed_missing(collection, new)
            outcome = await self.writer.write(collection, new, embedded, replace_by_doc_id=True)
            replaced = outcome.replaced_doc_ids  # decided under the lock: exact when racing
        by_id = {document.doc_id: document for document in new}
        results = []
        for document in documents:
            written = by_id.get(document.doc_id)
            status: WriteStatus = "replaced" if document.doc_id in replaced else "created"
            if written is None:
                status = "unchanged"
            chunk_count = len(written.chunks) if written else stored[document.doc_id][2]
            results.append(
                DocumentWritten(
                    doc_id=document.doc_id,
                    status=status,
                    content_hash=content_hash(document.text),
                    chunk_count=chunk_count,
                )
            )
        return results

    async def put(self, name: str, document: Incoming) -> DocumentWritten:
        check_document(document)
        collection = await self.for_writing(name)
        return (await self.write(collection, [document]))[0]

    async def batch(self, name: str, documents: Sequence[Incoming]) -> BatchResponse:
        """Every valid document written at once; each invalid one reported, none written."""
        errors: dict[int, str] = {}
        seen: set[str] = set()
        for position, document in enumerate(documents):
            try:
                check_document(document)
            except InvalidInput as error:
                errors[position] = error.detail
                continue
            if document.doc_id in seen:
                errors[position] = f"doc_id {document.doc_id!r} appears more than once"
            seen.add(document.doc_id)
        valid = [d for position, d in enumerate(documents) if position not in errors]
        collection = await self.for_writing(name)
        written = iter(await self.write(collection, valid) if valid else [])
        results = [
            BatchItemResult(doc_id=document.doc_id, status="error", detail=errors[position])
            if position in errors
            else BatchItemResult(**next(written).model_dump())
            for position, document in enumerate(documents)
        ]
        counts = Counter(result.status for result in results)
        return BatchResponse(
            results=results,
            created=counts["created"],
            replaced=counts["replaced"],
            unchanged=counts["unchanged"],
            errors=counts["error"],
        )

    async def list(self, name: str, prefix: str, limit: int, cursor: str | None) -> DocumentPage:
        after = decode_cursor(cursor) if cursor is not None else None
        collection = await self._for_reading(name)
        if collection is None:  # the default collection, never written to
            return DocumentPage(documents=[], next_cursor=None)
        async with self.components.database.reading() as session:
            rows = await DocumentCatalog(session).page(collection.id, prefix, after, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return DocumentPage(
            documents=[DocumentSummary(**summary(row)) for row in rows],
            next_cursor=encode_cursor(rows[-1].doc_id) if more else None,
        )

    async def get(self, name: str, doc_id: str, *, chunks: bool = False) -> DocumentDetail:
        check_doc_id(doc_id)
        collection = await self._for_reading(name)
        row, pieces = None, None
        if collection is not None:
            async with self.components.database.reading() as session:
                catalog = DocumentCatalog(session)
                row = await catalog.get(collection.id, doc_id)
                if row is not None and chunks:
                    found = await catalog.chunks(collection.id, doc_id)
                    pieces = [ChunkOut(position=p, text=text) for p, text in found]
        if row is None:
            raise DocumentNotFound(f"Document '{doc_id}' not found in collection '{name}'")
        return DocumentDetail(**summary(row), text=row.text, chunks=pieces)

    async def delete(self, name: str, doc_id: str) -> None:
        """Gone from every index when this returns (chunks, vectors no other chunk uses,
        lexical entries: one transaction)."""
        check_doc_id(doc_id)
        collection = await self._for_reading(name)
        found = None
        if collection is not None:
            async with self.components.database.reading() as session:
                found = await DocumentRepository(session).by_doc_ids(collection.id, [doc_id])
        if collection is None or not found:
            raise DocumentNotFound(f"Document '{doc_id}' not found in collection '{name}'")
        await self.writer.write(collection, [], {}, deleted=[found[doc_id].id])


async def get_documents_service(
    components: ComponentsDep, principal: PrincipalDep
) -> DocumentsService:
    return DocumentsService(components, principal.tenant)


DocumentsServiceDep = Annotated[DocumentsService, Depends(get_documents_service)]
