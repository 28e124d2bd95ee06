"""HTTP routes of the LangGraph checkpointer (``memory_api.langgraph.MemoryAPISaver``).

Thread ids and namespaces travel in bodies, never in paths: LangGraph allows any string.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from memory_api.checkpoints.schemas import (
    CheckpointIn,
    CheckpointKey,
    CheckpointOut,
    CheckpointSearch,
    CopyThread,
    DeleteRuns,
    DeleteThreads,
    Done,
    PruneThreads,
    WritesIn,
)
from memory_api.checkpoints.service import CheckpointServiceDep
from memory_api.http.routing import JSONRoute
from memory_api.http.schemas import error_responses

router = APIRouter(prefix="/checkpoints", tags=["langgraph checkpoints"], route_class=JSONRoute)
ERRORS = error_responses(413, 422, 503)
DONE = b'{"status":"ok"}'


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CheckpointKey,
    summary="Store (create or replace) a checkpoint",
    responses=ERRORS,
)
async def put_checkpoint(body: CheckpointIn, service: CheckpointServiceDep) -> CheckpointKey:
    await service.put(body)
    return CheckpointKey(
        thread_id=body.thread_id, checkpoint_ns=body.checkpoint_ns, checkpoint_id=body.checkpoint_id
    )


@router.post(
    "/writes",
    response_model=Done,
    summary="Store a task's pending writes against a checkpoint (idempotent)",
    responses=ERRORS,
)
async def put_writes(body: WritesIn, service: CheckpointServiceDep) -> Response:
    await service.put_writes(body)
    return Response(DONE, media_type="application/json")


@router.post(
    "/search",
    response_model=list[CheckpointOut],
    summary="Checkpoints with their pending writes, newest first",
    responses=ERRORS,
)
async def search_checkpoints(body: CheckpointSearch, service: CheckpointServiceDep) -> Response:
    return Response(await service.search(body), media_type="application/json")


@router.post(
    "/threads/delete",
    response_model=Done,
    summary="Delete threads: every checkpoint and write, in every namespace",
    responses=ERRORS,
)
async def delete_threads(body: DeleteThreads, service: CheckpointServiceDep) -> Response:
    await service.delete_threads(body.thread_ids)
    return Response(DONE, media_type="application/json")


@router.post(
    "/threads/copy",
    response_model=Done,
    summary="Copy a thread's checkpoints and writes to another thread id",
    responses=ERRORS,
)
async def copy_thread(body: CopyThread, service: CheckpointServiceDep) -> Response:
    await service.copy_thread(body.source_thread_id, body.target_thread_id)
    return Response(DONE, media_type="application/json")


@router.post(
    "/threads/prune",
    response_model=Done,
    summary="Prune threads: keep only the latest checkpoint per namespace, or delete all",
    responses=ERRORS,
)
async def prune_threads(body: PruneThreads, service: CheckpointServiceDep) -> Response:
    await service.prune(body.thread_ids, body.strategy)
    return Response(DONE, media_type="application/json")


@router.post(
    "/runs/delete",
    response_model=Done,
    summary="Delete the checkpoints (and their writes) written by these runs",
    responses=ERRORS,
)
async def delete_runs(body: DeleteRuns, service: CheckpointServiceDep) -> Response:
    await service.delete_runs(body.run_ids)
    return Response(DONE, media_type="application/json")
