"""One structured line per request; X-Request-ID accepted and returned."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from memory_api.logging_config import Formatter
from memory_api.testing.server import ServerProcess


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


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    return {"embedding_model_dir": tmp_path / "no-model"}  # nothing to load


def test_served_error_lines_carry_the_request_id(tmp_path: Path) -> None:
    """``memory-api serve``'s own logging configuration (no filter installed by the test): a
    warning logged while a request is handled names its request id; one logged outside any
    request shows "-"."""
    env = ServerProcess.base_env(
        tmp_path, MEMORY_API_EMBEDDING_MODEL_DIR=str(tmp_path / "no-model")
    )  # so /rag_query fails with 503, which is logged as a warning
    log = tmp_path / "server.log"
    with ServerProcess(env, log) as server:
        response = httpx.post(
            server.url + "/rag_query", json={"query": "x"}, headers={"X-Request-ID": "err-42"}
        )
        assert response.status_code == 503
    lines = log.read_text().splitlines()
    errors = [line for line in lines if "POST /rag_query -> 503" in line]
    assert len(errors) == 1, lines
    assert " WARNING memory_api [err-42] POST /rag_query -> 503: " in errors[0], errors[0]
    # Start-up happens outside any request: its error about the model has no request id.
    startup = [line for line in lines if "no-model" in line and line not in errors]
    assert startup, lines
    assert all(" [-] " in line for line in startup), startup


def test_served_access_line_carries_the_request_id_once(tmp_path: Path) -> None:
    """What ``memory-api serve`` writes: one JSON object per access line, the id inside it."""
    env = ServerProcess.base_env(tmp_path)
    log = tmp_path / "server.log"
    with ServerProcess(env, log) as server:
        response = httpx.get(server.url + "/livez", headers={"X-Request-ID": "trace-once-77"})
        assert response.status_code == 200
    lines = [line for line in log.read_text().splitlines() if "trace-once-77" in line]
    assert len(lines) == 1, lines
    assert lines[0].count("trace-once-77") == 1, lines[0]
    record = json.loads(lines[0][lines[0].index("{") :])
    assert record["request_id"] == "trace-once-77"
    assert record["path"] == "/livez"


def test_log_time_formatted_as_logging_does() -> None:
    """The serve configuration's formatter formats the time once a second: the same text as
    ``logging.Formatter`` for records within a second, across seconds, and with a datefmt."""
    fmt = "%(asctime)s %(levelname)s %(name)s %(message)s"
    ours, standard = Formatter(fmt), logging.Formatter(fmt)
    for created in (1_000_000_000.0, 1_000_000_000.5, 1_000_000_000.999, 1_000_000_001.25, 5.0):
        record = logging.LogRecord("memory_api.access", logging.INFO, "", 0, "m", None, None)
        record.created, record.msecs = created, (created - int(created)) * 1000 // 1
        assert ours.format(record) == standard.format(record)
    dated = Formatter(fmt, datefmt="%H:%M")
    assert dated.format(record) == logging.Formatter(fmt, datefmt="%H:%M").format(record)
