"""GET /metrics: Prometheus text with route templates, jobs, chunks and embedding latency."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)


def samples(text: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


async def test_metrics_after_some_traffic(
    lt_client: httpx.AsyncClient, docs: Path, index: Any
) -> None:
    await lt_client.post("/state/secret-session-id", json={"state_data": {}})
    await lt_client.get("/state/secret-session-id")
    await lt_client.get("/no/such/path")
    (docs / "a.md").write_text("Metrics are numbers about a running system.")
    await index()
    await lt_client.post("/rag_query", json={"query": "numbers"})

    response = await lt_client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "secret-session-id" not in text
    found = samples(text)
    requests = {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for s in found["memory_api_http_requests_total"]
    }
    assert requests[("POST", "/state/{session_id}", "201")] == 1
    assert requests[("GET", "/state/{session_id}", "200")] == 1
    assert requests[("GET", "unmatched", "404")] == 1
    assert any(
        s.labels["route"] == "/rag_query"
        for s in found["memory_api_http_request_duration_seconds_bucket"]
    )
    jobs = {s.labels["status"]: s.value for s in found["memory_api_index_jobs"]}
    assert jobs["completed"] == 1 and jobs["failed"] == 0
    assert found["memory_api_chunks_indexed_total"][0].value == 1
    kinds = {
        s.labels["kind"]: s.value for s in found["memory_api_embedding_duration_seconds_count"]
    }
    assert kinds["query"] >= 1 and kinds["documents"] >= 1


async def test_documentation_routes_have_their_own_label(lt_client: httpx.AsyncClient) -> None:
    paths = ("/docs", "/openapi.json", "/redoc", "/docs/oauth2-redirect")
    for path in paths:
        assert (await lt_client.get(path)).status_code == 200, path
    found = samples((await lt_client.get("/metrics")).text)
    routes = {
        s.labels["route"]: s.value
        for s in found["memory_api_http_requests_total"]
        if s.labels["status"] == "200" and s.labels["method"] == "GET"
    }
    assert {path: routes.get(path) for path in paths} == dict.fromkeys(paths, 1)
    assert "unmatched" not in routes
