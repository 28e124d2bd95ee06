"""The state endpoints' contract, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest
from sqlalchemy import func, select

from memory_api.state.models import SessionState


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"timestamp without a time zone: {value}"
    return parsed


async def test_store_then_retrieve(client: httpx.AsyncClient) -> None:
    state = {"messages": [{"role": "user", "content": "héllo"}], "step": 3, "nested": {"a": None}}
    response = await client.post("/state/agent-1", json={"state_data": state})
    assert response.status_code == 201
    assert response.json() == {"status": "ok", "session_id": "agent-1"}

    response = await client.get("/state/agent-1")
    assert response.status_code == 200
    body = response.json()
    assert body["session_id"] == "agent-1"
    assert body["state_data"] == state
    assert parse_time(body["created_at"]) == parse_time(body["updated_at"])


async def test_rewrite_replaces_state_and_keeps_created_at(client: httpx.AsyncClient) -> None:
    await client.post("/state/s1", json={"state_data": {"v": 1, "old": True}})
    first = (await client.get("/state/s1")).json()
    await asyncio.sleep(0.01)
    await client.post("/state/s1", json={"state_data": {"v": 2}})
    second = (await client.get("/state/s1")).json()

    assert second["state_data"] == {"v": 2}
    assert second["created_at"] == first["created_at"]
    assert parse_time(second["updated_at"]) > parse_time(first["updated_at"])


async def test_unknown_session_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/state/nobody")
    assert response.status_code == 404
    assert response.json() == {"detail": "Session not found"}


async def test_delete(client: httpx.AsyncClient) -> None:
    await client.post("/state/gone", json={"state_data": {"x": 1}})
    response = await client.delete("/state/gone")
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get("/state/gone")).status_code == 404
    response = await client.delete("/state/gone")
    assert response.status_code == 404
    assert response.json() == {"detail": "Session not found"}


async def test_list_sessions_most_recent_first_with_paging(client: httpx.AsyncClient) -> None:
    for name in ["a", "b", "c"]:
        await client.post(f"/state/{name}", json={"state_data": {"name": name}})
        await asyncio.sleep(0.01)
    await client.post("/state/a", json={"state_data": {"name": "a2"}})

    sessions = (await client.get("/sessions")).json()
    assert [s["session_id"] for s in sessions] == ["a", "c", "b"]
    assert sessions[0]["state_data"] == {"name": "a2"}
    assert set(sessions[0]) == {"session_id", "state_data", "created_at", "updated_at"}

    page = (await client.get("/sessions", params={"skip": 1, "limit": 1})).json()
    assert [s["session_id"] for s in page] == ["c"]
    assert (await client.get("/sessions", params={"skip": 10})).json() == []


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 1001}, {"skip": -1}, {"limit": "x"}, {"skip": "1.5"}]
)
async def test_list_sessions_rejects_bad_paging(
    client: httpx.AsyncClient, params: dict[str, object]
) -> None:
    response = await client.get("/sessions", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_list_sessions_limit_bounds_accepted(client: httpx.AsyncClient) -> None:
    assert (await client.get("/sessions", params={"limit": 1})).status_code == 200
    assert (await client.get("/sessions", params={"limit": 1000})).status_code == 200


async def test_concurrent_first_writes_leave_one_row(
    client: httpx.AsyncClient, app: object
) -> None:
    responses = await asyncio.gather(
        *(client.post("/state/race", json={"state_data": {"writer": i}}) for i in range(50))
    )
    assert [r.status_code for r in responses] == [201] * 50
    async with app.state.components.database.sessionmaker() as session:  # type: ignore[attr-defined]
        count = await session.scalar(
            select(func.count()).select_from(SessionState).where(SessionState.session_id == "race")
        )
        version = await session.scalar(
            select(SessionState.version).where(SessionState.session_id == "race")
        )
    assert count == 1
    assert version == 50
    final = (await client.get("/state/race")).json()["state_data"]
    assert final["writer"] in range(50)


async def test_concurrent_writers_on_many_sessions(client: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(
        *(client.post(f"/state/w{i % 10}", json={"state_data": {"i": i}}) for i in range(100))
    )
    assert {r.status_code for r in responses} == {201}
    assert len((await client.get("/sessions")).json()) == 10


async def test_health_reports_database(client: httpx.AsyncClient) -> None:
    body = (await client.get("/health")).json()
    assert body["services"]["database"] == {"status": "ok", "detail": None}
