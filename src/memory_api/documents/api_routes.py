"""HTTP routes of the documents of a collection: write, batch, list, read, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.responses import JSONResponse

from memory_api.collections.schemas import NamePath
from memory_api.documents.api_schemas import (
    DOC_ID_PATTERN,
    DOC_ID_RULE,
    BatchRequest,
    BatchResponse,
    DocumentDetail,
    DocumentPage,
    DocumentPut,
    DocumentWritten,
)
from memory_api.documents.api_service import DocumentsServiceDep, Incoming
from memory_api.http.routing import JSONRoute
from memory_api.http.schemas import error_responses

router = APIRouter(tags=["documents"], route_class=JSONRoute)

DocIdPath = Annotated[
    str, Path(pattern=DOC_ID_PATTERN, max_length=512, description=f"The document: {DOC_ID_RULE}.")
]
WRITE_ERRORS = error_responses(
    404,
    409,
    413,
    422,
    503,
    d404="Unknown collection",
    d409="The collection was built with another embedding model",
    d422="Invalid doc_id, empty text or reserved metadata keys",
    d503="Database, vector store or embedding model unavailable",
)
READ_ERRORS = error_responses(404, 422, 503, d404="Unknown collection or document")
BASE = "/collections/{name}/documents"


# Declared before "/{doc_id}" routes; the methods differ anyway (POST is only the batch).
@router.post(
    f"{BASE}/batch",
    summary="Create or replace up to 1,000 documents at once",
    description=(
        "One embedding batch and one transaction. Each document is checked on its own: one "
        'with an error is reported in its result ("error", with the reason) and not written, '
        "the others are. When the response returns, the documents written are searchable."
    ),
    responses=WRITE_ERRORS,
)
async def write_batch(
    name: NamePath, body: BatchRequest, service: DocumentsServiceDep
) -> BatchResponse:
    documents = [Incoming(d.doc_id, d.text, d.metadata) for d in body.documents]
    return await service.batch(name, documents)


async def batch_only() -> Response:
    """Any other method on the batch path: 405 naming POST (doc_id "batch" is reserved)."""
    return JSONResponse(
        {"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": "POST"}
    )


router.add_api_route(
    f"{BASE}/batch",
    batch_only,
    methods=["GET", "PUT", "DELETE", "PATCH", "OPTIONS"],
    include_in_schema=False,
)


@router.put(
    f"{BASE}/{{doc_id}}",
    summary="Create (201) or replace (200) a document",
    description=(
        "The text is split with the collection's chunking and embedded; when the response "
        "returns the document is searchable in every mode. Sending the text and metadata "
        'already stored writes and embeds nothing ("unchanged", 200).'
    ),
    responses={
        201: {"model": DocumentWritten, "description": "Created"},
        **WRITE_ERRORS,
    },
)
async def put_document(
    name: NamePath,
    doc_id: DocIdPath,
    body: DocumentPut,
    service: DocumentsServiceDep,
    response: Response,
) -> DocumentWritten:
    written = await service.put(name, Incoming(doc_id, body.text, body.metadata))
    if written.status == "created":
        response.status_code = status.HTTP_201_CREATED
    return written


@router.get(
    BASE,
    summary="The collection's documents, by doc_id (sent, uploaded or from folders)",
    responses=READ_ERRORS,
)
async def list_documents(
    name: NamePath,
    service: DocumentsServiceDep,
    prefix: Annotated[str, Query(max_length=512, description="Only doc_ids starting so.")] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="next_cursor of the previous page.")
    ] = None,
) -> DocumentPage:
    return await service.list(name, prefix, limit, cursor)


@router.get(
    f"{BASE}/{{doc_id}}",
    summary="One document: text, metadata, content hash, chunk count, source, timestamps "
    "(and its chunks, with include_chunks=true)",
    responses=READ_ERRORS,
)
async def get_document(
    name: NamePath,
    doc_id: DocIdPath,
    service: DocumentsServiceDep,
    include_chunks: Annotated[bool, Query(description="Also return the chunks, in order.")] = False,
) -> DocumentDetail:
    return await service.get(name, doc_id, chunks=include_chunks)


@router.delete(
    f"{BASE}/{{doc_id}}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a document: gone from every index when the response returns",
    responses=READ_ERRORS,
)
async def delete_document(
    name: NamePath, doc_id: DocIdPath, service: DocumentsServiceDep
) -> Response:
    await service.delete(name, doc_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# A doc_id holding "/" (sent as %2F) matches no route above: let its validation answer (422).
for _method, _endpoint in (
    ("PUT", put_document),
    ("GET", get_document),
    ("DELETE", delete_document),
):
    router.add_api_route(
        f"{BASE}/{{doc_id:slashed}}",
        _endpoint,
        methods=[_method],
        name=f"{_endpoint.__name__}_slashed",
        include_in_schema=False,
        status_code=204 if _method == "DELETE" else None,
    )
