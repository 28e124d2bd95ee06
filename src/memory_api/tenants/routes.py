"""``DELETE /tenant``: erase everything the caller's tenant owns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from memory_api.auth.keys import TENANT_PATTERN, TENANT_RULE
from memory_api.http.routing import JSONRoute
from memory_api.http.schemas import error_responses
from memory_api.tenants.schemas import TenantErasedResponse
from memory_api.tenants.service import TenantServiceDep

router = APIRouter(tags=["tenants"], route_class=JSONRoute)


@router.delete(
    "/tenant",
    summary="Erase everything the caller's tenant owns",
    description=(
        "Sessions, collections, documents, chunks, vectors and jobs of the caller's tenant "
        "(the tenant of its API key; `default` without keys) are erased, and counted in the "
        "answer. `confirm` must repeat the tenant's name: another tenant's name is a 409, a "
        "value that is no tenant name a 422. 409 too while one of its indexing jobs runs: "
        "cancel it first. Other tenants are untouched."
    ),
    responses=error_responses(
        409,
        422,
        503,
        d409="confirm names another tenant, or an indexing job of the tenant is running",
        d422="confirm is missing or is not a tenant name",
        d503="Database or vector store unavailable: nothing was erased, retry",
    ),
)
async def delete_tenant(
    service: TenantServiceDep,
    confirm: Annotated[
        str,
        Query(
            pattern=TENANT_PATTERN,
            description=f"The caller's tenant name, repeated ({TENANT_RULE}).",
        ),
    ],
) -> TenantErasedResponse:
    return await service.erase(confirm)
