"""The parts of the state hot path, without the service around them (issue 17, section 1).

A bare FastAPI app: no middleware, no auth, no logging, no error handlers. ``GET /state/{id}``
runs the service's own SELECT (``state.statements``, the text the service runs) on a plain
asyncpg pool and returns the row; ``POST /state/{id}`` parses the JSON body and runs the
service's own upsert (with its history, as the service does at default settings); ``GET
/const`` returns a constant. Served by ``python -m bench.bare_state PORT DATABASE_URL`` with
the uvicorn settings ``memory-api serve`` uses (its HTTP protocol class, no access log).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
import uvicorn
from fastapi import FastAPI, Request, Response

from memory_api.http.server_protocol import timed_protocol
from memory_api.settings import Settings
from memory_api.state.statements import for_dialect

STATEMENTS = for_dialect("postgresql")
TENANT = "default"


def create_app(database_url: str) -> FastAPI:
    settings = Settings(database_url=database_url)
    pool: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        url = database_url.replace("postgresql+asyncpg://", "postgresql://")
        pool["pg"] = await asyncpg.create_pool(url, min_size=0, max_size=settings.db_pool_size)
        try:
            yield
        finally:
            await pool["pg"].close()

    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/const")
    async def const() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    @app.get("/state/{session_id}")
    async def read(session_id: str) -> Response:
        statement = STATEMENTS.get
        parameters = {"tenant": TENANT, "session_id": session_id, "now": datetime.now(UTC)}
        async with pool["pg"].acquire() as connection:
            row = await connection.fetchrow(statement.asyncpg_sql, *statement.arguments(parameters))
        if row is None:
            return Response(b'{"detail":"Session not found"}', status_code=404)
        body = b'{"session_id":%s,"state_data":%s,"version":%d}' % (
            orjson.dumps(row[0]),
            row[1].encode(),
            row[2],
        )
        return Response(body, media_type="application/json")

    @app.post("/state/{session_id}")
    async def write(session_id: str, request: Request) -> Response:
        body: dict[str, Any] = orjson.loads(await request.body())
        document = orjson.dumps(body["state_data"])
        statement = STATEMENTS.upsert.with_history
        assert statement is not None
        parameters = {
            "tenant": TENANT,
            "session_id": session_id,
            "state": document.decode(),
            "size": len(document),
            "now": datetime.now(UTC),
            "expires_at": None,
            "keep": settings.state_history,
        }
        async with pool["pg"].acquire() as connection:
            await connection.fetchrow(statement.asyncpg_sql, *statement.arguments(parameters))
        answer = b'{"status":"ok","session_id":%s}' % orjson.dumps(session_id)
        return Response(answer, status_code=201, media_type="application/json")

    return app


def main() -> None:
    port, database_url = int(sys.argv[1]), sys.argv[2]
    settings = Settings(database_url=database_url)
    uvicorn.run(
        create_app(database_url),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        http=timed_protocol(settings.http_header_timeout, settings.http_body_timeout),
    )


if __name__ == "__main__":
    main()
