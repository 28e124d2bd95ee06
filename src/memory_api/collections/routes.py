"""HTTP routes of the collections registry: create, list, show, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Response, status

from memory_api.auth.principal import PrincipalDep
from memory_api.collections.repository import CollectionRepository
from memory_api.collections.schemas import NAME_RULE, CollectionCreate, CollectionInfo, NamePath
from memory_api.collections.service import CollectionService
from memory_api.components import ComponentsDep, SessionDep
from memory_api.http.routing import JSONRoute
from memory_api.http.schemas import error_responses

router = APIRouter(tags=["collections"], route_class=JSONRoute)


async def get_collection_service(
    session: SessionDep, components: ComponentsDep, principal: PrincipalDep
) -> CollectionService:
    return CollectionService(
        CollectionRepository(session), components.embedder, components.settings, principal.tenant
    )


CollectionServiceDep = Annotated[CollectionService, Depends(get_collection_service)]


@router.post(
    "/collections",
    status_code=status.HTTP_201_CREATED,
    summary="Create a collection",
    responses=error_responses(
        409,
        413,
        422,
        503,
        d409="A collection of this name exists",
        d422=f"Invalid request: a name not of {NAME_RULE}, or chunk_overlap >= chunk_size",
    ),
)
async def create_collection(
    body: CollectionCreate, service: CollectionServiceDep
) -> CollectionInfo:
    return await service.create(body)


@router.get(
    "/collections",
    summary="The caller's collections, by name",
    responses=error_responses(503),
)
async def list_collections(service: CollectionServiceDep) -> list[CollectionInfo]:
    return await service.list()


@router.get(
    "/collections/{name}",
    summary="One collection: counts, embedding model, chunking",
    responses=error_responses(404, 422, 503, d404="Unknown collection"),
)
async def get_collection(name: NamePath, service: CollectionServiceDep) -> CollectionInfo:
    return await service.info(name)


@router.delete(
    "/collections/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a collection and everything in it",
    description=(
        "The collection is gone from every endpoint when the response returns (its name may "
        "be used again at once); its documents, chunks, vectors and lexical entries are "
        "removed in the background, by whichever process runs next if this one stops."
    ),
    responses=error_responses(404, 422, 503, d404="Unknown collection"),
)
async def delete_collection(
    name: NamePath,
    service: CollectionServiceDep,
    components: ComponentsDep,
    background: BackgroundTasks,
) -> Response:
    await service.delete(name)
    if components.sweeper is not None:
        background.add_task(components.sweeper.notify)  # after the commit
    return Response(status_code=status.HTTP_204_NO_CONTENT)
