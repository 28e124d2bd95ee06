"""One structured line per request; X-Request-ID accepted and returned."""

from __future__ import annotations

import json
import logging

import httpx
import pytest


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "memory_api.access"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_request_id_round_trip_and_log_line(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="memory_api.access")
    response = await client.get("/state/missing", headers={"X-Request-ID": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"
    generated = await client.get("/sessions")
    assert len(generated.headers["x-request-id"]) == 32
    bad = await client.get("/sessions", headers={"X-Request-ID": "bad id\n" * 40})
    assert bad.headers["x-request-id"] != "bad id\n" * 40

    lines = access_lines(caplog)
    assert len(lines) == 3
    first = lines[0]
    assert first["request_id"] == "trace-123"
    assert first["method"] == "GET"
    assert first["path"] == "/state/missing"
    assert first["status"] == 404
    assert isinstance(first["duration_ms"], float)
    assert lines[1]["request_id"] == generated.headers["x-request-id"]
