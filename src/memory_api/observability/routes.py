"""``GET /metrics``: the Prometheus text of this process's registry."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.auth.principal import PrincipalDep
from memory_api.components import ComponentsDep
from memory_api.errors import Forbidden
from memory_api.http.schemas import error_responses
from memory_api.jobs.repository import JobRepository

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Requests and latency per route, indexing jobs by status, chunks indexed and "
    "embedding latency, in the Prometheus text format. They count every tenant's activity, so "
    "only the operator (keys of the default tenant) may read them.",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Metrics"},
        **error_responses(403, d403="A key of another tenant than the default"),
    },
)
async def metrics_endpoint(components: ComponentsDep, principal: PrincipalDep) -> Response:
    if principal.tenant != DEFAULT_TENANT:
        raise Forbidden(
            "metrics count every tenant's activity: only keys of the default tenant "
            "(the operator's) may read them"
        )
    metrics = components.metrics
    try:
        async with components.database.unit_of_work() as session:
            counts = await JobRepository(session).counts_by_status()
        for status, count in counts.items():
            metrics.jobs.labels(status).set(count)
    except Exception:  # noqa: S110 - the database being down must not hide the other metrics
        pass
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
