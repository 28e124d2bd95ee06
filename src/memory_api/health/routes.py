"""``GET /health``: 200 when every dependency answers, 503 (same body shape) otherwise."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from memory_api.components import ComponentsDep
from memory_api.health.schemas import HealthResponse
from memory_api.health.service import HealthCheck, check_all
from memory_api.http.handlers import RETRY_AFTER
from memory_api.http.routing import JSONRoute

router = APIRouter(tags=["operations"], route_class=JSONRoute)


@router.get(
    "/health",
    summary="Check every dependency (database, vector store, embedding model)",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "A dependency is unavailable"}},
)
async def health(components: ComponentsDep) -> JSONResponse:
    return await _report(components.health_checks())


_ALIVE = b'{"status":"ok"}'


@router.get(
    "/livez",
    summary="Liveness: the process answers (no dependency is checked)",
    response_model=dict[str, str],
)
async def livez() -> Response:
    # Pre-encoded: a probe hit every few seconds needs no validation and serialisation.
    return Response(_ALIVE, media_type="application/json")


@router.get(
    "/readyz",
    summary="Readiness: the database answers, so session state can be served",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "The database is unavailable"}},
)
async def readyz(components: ComponentsDep) -> JSONResponse:
    return await _report({"database": components.database.ping})


async def _report(checks: dict[str, HealthCheck]) -> JSONResponse:
    services = await check_all(checks)
    healthy = all(service.status == "ok" for service in services.values())
    body = HealthResponse(status="ok" if healthy else "unavailable", services=services)
    if healthy:
        return JSONResponse(body.model_dump(mode="json"))
    return JSONResponse(body.model_dump(mode="json"), status_code=503, headers=RETRY_AFTER)
