"""HTTP routes of the LangGraph Platform store API, as ``langgraph_sdk``'s ``client.store``
calls them (paths, fields and response shapes are the SDK's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from memory_api.errors import InvalidInput
from memory_api.http.routing import JSONRoute
from memory_api.http.schemas import error_responses
from memory_api.store.schemas import (
    KEY_MAX,
    NAMESPACE_MAX,
    DeleteItem,
    ItemOut,
    ListNamespaces,
    NamespacesOut,
    PutItem,
    SearchItems,
    SearchItemsOut,
    check_label,
)
from memory_api.store.service import StoreServiceDep

router = APIRouter(prefix="/store", tags=["langgraph store"], route_class=JSONRoute)
ERRORS = error_responses(413, 422, 503)


def _labels(dotted: str) -> list[str]:
    if not dotted:
        return []
    try:
        return [check_label(label) for label in dotted.split(".")]
    except ValueError as error:
        raise InvalidInput(f"namespace: {error}") from None


@router.put(
    "/items",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Store (create or replace) an item; indexes its fields for `query`",
    responses=ERRORS,
)
async def put_item(body: PutItem, service: StoreServiceDep) -> Response:
    await service.put(body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/items",
    response_model=ItemOut,
    summary="One item (404 when absent or expired); restarts its TTL unless refresh_ttl=false",
    responses=error_responses(404, 422, 503),
)
async def get_item(
    service: StoreServiceDep,
    key: Annotated[str, Query(min_length=1, max_length=KEY_MAX, pattern=r"^[^\x00]*$")],
    namespace: Annotated[
        str, Query(max_length=NAMESPACE_MAX, description='labels joined by "."')
    ] = "",
    refresh_ttl: bool | None = None,
) -> ItemOut:
    return await service.get(_labels(namespace), key, refresh_ttl)


@router.delete(
    "/items",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete an item (absent: nothing to do)",
    responses=ERRORS,
)
async def delete_item(body: DeleteItem, service: StoreServiceDep) -> Response:
    await service.delete(body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/items/search",
    response_model=SearchItemsOut,
    summary="Items under a namespace prefix, filtered by value, ranked by `query` if given",
    responses=ERRORS,
)
async def search_items(body: SearchItems, service: StoreServiceDep) -> SearchItemsOut:
    return SearchItemsOut(items=await service.search(body))


@router.post(
    "/namespaces",
    response_model=NamespacesOut,
    summary="Namespaces holding live items, by prefix, suffix and depth",
    responses=ERRORS,
)
async def list_namespaces(body: ListNamespaces, service: StoreServiceDep) -> NamespacesOut:
    return await service.namespaces(body)
