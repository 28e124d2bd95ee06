"""One structured line per request; X-Request-ID accepted and returned."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import logging.handlers
from pathlib import Path

import httpx
import pytest

from memory_api.http.request_log import log_access
from memory_api.logging_config import (
    ACCESS_FORMAT,
    ACCESS_LOGGER,
    AccessHandler,
    Formatter,
    logging_config,
)
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


def test_access_handler_writes_what_logging_writes() -> None:
    """``AccessHandler.write_access`` (serve's one-call path for access lines) writes the very
    line ``handle`` writes for the same message and time, across seconds and milliseconds."""
    direct, standard = io.StringIO(), io.StringIO()
    handlers = []
    for stream in (direct, standard):
        handler = AccessHandler(stream)
        handler.setFormatter(Formatter(ACCESS_FORMAT))
        handlers.append(handler)
    assert all(handler.direct for handler in handlers)
    message = '{"request_id":"r","method":"GET","path":"/livez","status":200}'
    for created in (1_000_000_000.0, 1_000_000_000.0004, 1_000_000_000.9996, 1_700_000_001.25):
        handlers[0].write_access(message, created)
        record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, "", 0, message, None, None)
        record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
        handlers[1].handle(record)
    assert direct.getvalue() == standard.getvalue()
    assert direct.getvalue().count("\n") == 4
    closed = io.StringIO()
    closed.close()
    failing = AccessHandler(closed)
    failing.setFormatter(Formatter(ACCESS_FORMAT))
    reported: list[logging.LogRecord] = []
    failing.handleError = reported.append  # type: ignore[method-assign]
    failing.write_access(message, 1_000_000_000.0)  # reported as logging does, never raised
    assert [record.getMessage() for record in reported] == [message]
    other = AccessHandler(io.StringIO())
    other.setFormatter(Formatter("%(message)s"))
    assert not other.direct  # another format: the request log goes through logging


def test_served_access_lines_take_the_direct_path() -> None:
    """Under serve's configuration the access handler is the direct one (so the line above is
    what a served request writes), and a handler added to the access logger (an operator's,
    a test's) still receives every line through logging."""
    names = ["", "memory_api", ACCESS_LOGGER, "uvicorn", "uvicorn.access"]
    kept = [
        (logger, logger.handlers[:], logger.level, logger.propagate, logger.disabled)
        for logger in map(logging.getLogger, names)
    ]
    logging.config.dictConfig(logging_config("info"))
    try:
        access = logging.getLogger(ACCESS_LOGGER)
        (handler,) = access.handlers
        assert isinstance(handler, AccessHandler) and handler.direct
        stream = io.StringIO()
        handler.setStream(stream)

        def through_logging(record: logging.LogRecord) -> bool:
            raise AssertionError("the access line went through logging")

        handler.handle = through_logging  # type: ignore[method-assign]
        log_access("one")
        del handler.handle  # the class's again: the next line goes through logging
        extra = logging.handlers.BufferingHandler(10)
        access.addHandler(extra)
        log_access("two")
        assert [record.getMessage() for record in extra.buffer] == ["two"]
        assert stream.getvalue().endswith(" INFO memory_api.access two\n")
        assert " INFO memory_api.access one\n" in stream.getvalue()
    finally:
        for logger, handlers, level, propagate, disabled in kept:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate, logger.disabled = propagate, disabled
