"""HTTP routes of asynchronous indexing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, status
from fastapi.responses import JSONResponse

from memory_api.indexing.schemas import (
    IndexFilesRequest,
    IndexTaskStartResponse,
    IndexTaskStatusResponse,
)
from memory_api.indexing.service import IndexingServiceDep
from memory_api.resources import ResourcesDep

router = APIRouter(tags=["indexing"])

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Directory outside MEMORY_API_INDEX_ROOTS"},
    409: {"description": "The collection was built with another embedding model"},
    422: {"description": "Invalid request or directory that does not exist"},
    503: {"description": "Vector store or embedding model unavailable"},
}


@router.post(
    "/index_files",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start indexing a directory (asynchronous job)",
    responses=ERRORS,
)
async def index_files(
    body: IndexFilesRequest,
    request: Request,
    service: IndexingServiceDep,
    resources: ResourcesDep,
    background: BackgroundTasks,
) -> IndexTaskStartResponse:
    job = await service.start(body)
    if resources.worker is not None:
        # Runs after the response, hence after the job row is committed.
        background.add_task(resources.worker.notify)
    return IndexTaskStartResponse(
        message="File indexing process has been started.",
        task_id=job.id,
        status_url=request.app.url_path_for("get_indexing_status", task_id=job.id),
    )


@router.get(
    "/index_status/{task_id}",
    name="get_indexing_status",
    summary="Status and progress of an indexing job",
    response_model=IndexTaskStatusResponse,
    responses={404: {"model": IndexTaskStatusResponse, "description": "Unknown task id"}},
)
async def index_status(task_id: str, service: IndexingServiceDep) -> Any:
    found = await service.status(task_id[:64])
    if found is None:
        missing = IndexTaskStatusResponse(
            task_id=task_id, status="not_found", details="No indexing task with this id"
        )
        return JSONResponse(missing.model_dump(mode="json"), status_code=404)
    return found
