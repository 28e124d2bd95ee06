"""``POST /collections/{name}/reembed``: rebuild a collection's vectors with the configured
embedding model (after a model change, the collection answers 409 until this has run)."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, status

from memory_api.collections.schemas import NamePath
from memory_api.components import ComponentsDep
from memory_api.http.routing import JSONRoute
from memory_api.http.schemas import error_responses
from memory_api.indexing.schemas import IndexTaskStartResponse
from memory_api.reembed.service import ReembedServiceDep

router = APIRouter(tags=["collections"], route_class=JSONRoute)


@router.post(
    "/collections/{name}/reembed",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Re-embed a collection with the configured model (asynchronous job)",
    description=(
        "Rebuilds every vector from the chunk text in the database into a new vector "
        "collection, then swaps it in with the configured model and dimension. Progress at "
        "status_url (as for /index_files). While it runs, /rag_query on the collection answers "
        'from the lexical index with "semantic_rebuilding": true. A re-embedding already '
        "pending or running is returned instead of a second one."
    ),
    responses=error_responses(
        404, 409, 422, 503, d404="Unknown collection", d409="Identical requests kept racing"
    ),
)
async def reembed(
    name: NamePath,
    request: Request,
    service: ReembedServiceDep,
    components: ComponentsDep,
    background: BackgroundTasks,
) -> IndexTaskStartResponse:
    job_id, created = await service.start(name)
    if created and components.worker is not None:
        background.add_task(components.worker.notify)
    return IndexTaskStartResponse(
        message=(
            "Re-embedding started."
            if created
            else "A re-embedding of this collection is already pending or running; this is it."
        ),
        task_id=job_id,
        status_url=request.app.url_path_for("get_indexing_status", task_id=job_id),
    )
