"""HTTP routes of asynchronous indexing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, status
from fastapi.responses import JSONResponse

from memory_api.components import ComponentsDep
from memory_api.http.routing import JSONRoute
from memory_api.http.schemas import error_responses
from memory_api.indexing.schemas import (
    IndexFilesRequest,
    IndexJobSummary,
    IndexTaskStartResponse,
    IndexTaskStatusResponse,
)
from memory_api.indexing.service import IndexingReaderDep, IndexingServiceDep
from memory_api.jobs.status import JobStatus

router = APIRouter(tags=["indexing"], route_class=JSONRoute)

ERRORS = error_responses(
    403,
    404,
    409,
    413,
    422,
    503,
    d403="Directory outside MEMORY_API_INDEX_ROOTS",
    d404="Unknown collection (any but the default must exist)",
    d409="The collection was built with another embedding model",
    d422="Invalid request, or a directory that does not exist and has nothing indexed",
    d503="Database, vector store or embedding model unavailable",
)


@router.post(
    "/index_files",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start indexing a directory (asynchronous job)",
    description=(
        "While an identical request (same directory, extensions and force_reindex) is pending "
        "or running, that job is returned instead of queueing another."
    ),
    responses=ERRORS,
)
async def index_files(
    body: IndexFilesRequest,
    request: Request,
    service: IndexingServiceDep,
    components: ComponentsDep,
    background: BackgroundTasks,
) -> IndexTaskStartResponse:
    job = await service.start(body)
    if job.created and components.worker is not None:
        # Runs after the response, hence after the job row is committed.
        background.add_task(components.worker.notify)
    return IndexTaskStartResponse(
        message=(
            "File indexing process has been started."
            if job.created
            else "An identical indexing job is already pending or running; this is that job."
        ),
        task_id=job.id,
        status_url=request.app.url_path_for("get_indexing_status", task_id=job.id),
    )


@router.get(
    "/index_status/{task_id}",
    name="get_indexing_status",
    summary="Status and progress of an indexing job",
    response_model=IndexTaskStatusResponse,
    responses={
        404: {"model": IndexTaskStatusResponse, "description": "Unknown task id"},
        **error_responses(422, 503),
    },
)
async def index_status(task_id: str, service: IndexingReaderDep) -> Any:
    found = await service.status(task_id[:64])
    if found is None:
        missing = IndexTaskStatusResponse(
            task_id=task_id, status="not_found", details="No indexing task with this id"
        )
        return JSONResponse(missing.model_dump(mode="json"), status_code=404)
    return found


@router.get(
    "/index_jobs",
    summary="Recent indexing jobs, newest first",
    response_model=list[IndexJobSummary],
    responses=error_responses(422, 503),
)
async def index_jobs(
    request: Request,
    service: IndexingReaderDep,
    job_status: Annotated[JobStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[IndexJobSummary]:
    def status_url(task_id: str) -> str:
        return str(request.app.url_path_for("get_indexing_status", task_id=task_id))

    return await service.recent(job_status, limit, status_url)


@router.post(
    "/index_status/{task_id}/cancel",
    summary="Cancel an indexing job",
    description=(
        "A pending job ends at once (200). A running job is asked to stop (202): its worker "
        "stops at its next step, within about a second, keeping what it wrote complete. Either "
        'way the job ends as "failed" with result {"cancelled": true, ...}.'
    ),
    response_model=IndexTaskStatusResponse,
    responses={
        202: {"model": IndexTaskStatusResponse, "description": "The running job will stop"},
        **error_responses(
            404, 409, 422, 503, d404="Unknown task id", d409="The job has already ended"
        ),
    },
)
async def cancel_index_job(task_id: str, service: IndexingServiceDep) -> Any:
    job, ended = await service.cancel(task_id[:64])
    if ended:
        return job
    return JSONResponse(job.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)


# A task id holding "/" (sent as %2F) matches no route above: it is an unknown task (404).
router.add_api_route(
    "/index_status/{task_id:slashed}/cancel",
    cancel_index_job,
    methods=["POST"],
    name="cancel_index_job_slashed",
    include_in_schema=False,
)
router.add_api_route(
    "/index_status/{task_id:slashed}",
    index_status,
    methods=["GET"],
    name="get_indexing_status_slashed",
    include_in_schema=False,
)
