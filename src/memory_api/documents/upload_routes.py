"""``POST /collections/{name}/files``: upload files (multipart) to index their text."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile, status
from fastapi.responses import JSONResponse

from memory_api.collections.schemas import NamePath
from memory_api.components import ComponentsDep
from memory_api.documents.api_schemas import UploadResponse
from memory_api.documents.api_service import DocumentsServiceDep
from memory_api.documents.upload_jobs import queue_upload
from memory_api.documents.uploads import UploadedFile, prepare
from memory_api.errors import InvalidInput
from memory_api.http.routing import JSONRoute, accepts
from memory_api.http.schemas import ErrorResponse, error_responses
from memory_api.indexing.schemas import IndexTaskStartResponse
from memory_api.ingestion.extract import SUPPORTED

router = APIRouter(tags=["documents"], route_class=JSONRoute)
#: the path whose body limit is MEMORY_API_MAX_UPLOAD_BYTES (see app.py)
UPLOAD_PATH = r"/collections/[^/]+/files"


def _metadata(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"metadata is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidInput("metadata must be a JSON object")
    return value


@router.post(
    "/collections/{name}/files",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadResponse,
    summary="Upload files and index their text",
    description=(
        f"Supported: {SUPPORTED}. Each file becomes the document named prefix + its file "
        "name (an upload of the same name replaces it), with the metadata given plus "
        '"filename". The text is extracted, kept and indexed before the response; the '
        "original file is not kept. All files are indexed, or none. An upload over "
        "MEMORY_API_UPLOAD_JOB_BYTES (all files together) answers 202 instead: its text is "
        "extracted and stored before the response, and a job (status at status_url, as for "
        "/index_files) embeds and writes it."
    ),
    responses={
        202: {
            "model": IndexTaskStartResponse,
            "description": "A big upload: stored, indexed by the job at status_url",
        },
        **error_responses(
            404,
            409,
            413,
            422,
            503,
            d404="Unknown collection",
            d409="The collection was built with another embedding model",
            d413="The upload is over MEMORY_API_MAX_UPLOAD_BYTES",
            d422="Invalid file name, metadata, or a file whose text cannot be read",
        ),
        415: {
            "model": ErrorResponse,
            "description": "A file of an unsupported type (named), or a body not multipart",
        },
    },
)
@accepts("multipart/form-data")
async def upload_files(
    name: NamePath,
    request: Request,
    service: DocumentsServiceDep,
    components: ComponentsDep,
    background: BackgroundTasks,
    files: Annotated[list[UploadFile], File(min_length=1, description="One or more files.")],
    metadata: Annotated[
        str | None, Form(description="A JSON object: metadata of every file's document.")
    ] = None,
    prefix: Annotated[
        str, Form(max_length=256, description="Prepended to each file name to make its doc_id.")
    ] = "",
) -> UploadResponse | JSONResponse:
    received = [
        UploadedFile(file.filename or "", file.content_type, await file.read()) for file in files
    ]
    documents = await prepare(received, _metadata(metadata), prefix)
    collection = await service.for_writing(name)
    if sum(len(file.data) for file in received) <= components.settings.upload_job_bytes:
        return UploadResponse(documents=await service.write(collection, documents))
    job_id = await queue_upload(components, service.tenant, collection, documents)
    if components.worker is not None:
        background.add_task(components.worker.notify)  # after the response: the row is there
    started = IndexTaskStartResponse(
        message=f"Upload stored; {len(documents)} files are being indexed by a job.",
        task_id=job_id,
        status_url=request.app.url_path_for("get_indexing_status", task_id=job_id),
    )
    return JSONResponse(started.model_dump(), status_code=status.HTTP_202_ACCEPTED)
