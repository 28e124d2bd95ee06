"""API keys: every route but /livez and the console's shell needs one (all walked, hidden ones
too); OpenAPI declares it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import BaseRoute, Match, Route

from memory_api.http.routing import SlashedConvertor
from memory_api.settings import Settings
from memory_api.testing.server import ServerProcess

KEYS = ["first-key-0123456789", "second-key-9876543210"]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"api_keys": ",".join(KEYS)}


# (method, path template) of the operations anyone may call; every other one needs a key. The
# console's shell is static and the same for everyone (memory_api.console.routes says why).
PUBLIC = {
    ("GET", "/livez"),
    ("GET", "/"),
    ("GET", "/ui"),
    ("GET", "/ui/config"),
    ("GET", "/ui/assets/{path:path}"),
}
BAD_CREDENTIALS: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer wrong"},
    {"X-API-Key": "wrong"},
    {"Authorization": f"Basic {KEYS[0]}"},
    {"Authorization": "Bearer "},
]


def _leaf_routes(routes: list[BaseRoute]) -> Iterator[Route]:
    """Every route of the app, those of included routers and hidden ones too."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            assert route.include_context.prefix == "", "walk prefixed routers too"  # type: ignore[attr-defined]
            yield from _leaf_routes(inner.routes)
        else:
            assert isinstance(route, Route), f"walk {type(route).__name__} too"
            yield route


def walk(app: FastAPI) -> list[tuple[str, str, str]]:
    """(method, template, a concrete path that this route serves) of every operation."""
    found = []
    for route in _leaf_routes(app.router.routes):
        values = {
            name: "a/b" if isinstance(convertor, SlashedConvertor) else "x"
            for name, convertor in route.param_convertors.items()
        }
        path = route.url_path_for(route.name, **values)
        for method in sorted(route.methods or ()):
            scope = {"type": "http", "method": method, "path": path}
            assert route.matches(scope)[0] == Match.FULL, (method, path, route.path)
            found.append((method, route.path, path))
    return found


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_route_needs_a_key_but_the_public_ones(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    operations = walk(app)
    # The walk covers the documented API and the hidden routes beside it.
    document = (await client.get("/openapi.json", headers={"X-API-Key": KEYS[0]})).json()
    documented = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
    walked = {(method, template) for method, template, _ in operations}
    assert documented <= walked, documented - walked
    assert {
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/redoc"),
        ("GET", "/state/{session_id:slashed}"),
    } <= (walked - documented)
    assert walked >= PUBLIC
    # An unknown path is refused before anyone can learn that it does not exist.
    operations += [(method, "(none)", "/nope") for method in ("GET", "POST", "DELETE")]

    for method, template, path in operations:
        public = (method, template) in PUBLIC
        for headers in BAD_CREDENTIALS:
            response = await client.request(method, path, headers=headers)
            if public:
                assert response.status_code != 401, (method, path, headers)
                continue
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
            if method != "HEAD":  # an answer to HEAD has no body
                assert response.json() == {"detail": "Missing or invalid API key"}
        allowed = await client.request(method, path, headers={"X-API-Key": KEYS[1]})
        assert allowed.status_code != 401, (method, path, allowed.text)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_either_header_and_any_key_is_accepted(client: httpx.AsyncClient) -> None:
    for headers in (
        {"Authorization": f"Bearer {KEYS[0]}"},
        {"authorization": f"bearer {KEYS[1]}"},
        {"X-API-Key": KEYS[1]},
    ):
        response = await client.post("/state/a", json={"state_data": {}}, headers=headers)
        assert response.status_code == 201, headers


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_liveness_needs_no_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_openapi_declares_the_schemes(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json", headers={"X-API-Key": KEYS[0]})
    document = response.json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer"}
    assert schemes["apiKey"]["name"] == "X-API-Key"
    assert document["security"] == [{"bearer": []}, {"apiKey": []}]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path == "/livez":
                assert operation["security"] == [], "liveness is public"
                assert "401" not in operation["responses"]
            else:
                assert "security" not in operation, (method, path)  # the global requirement
                schema = operation["responses"]["401"]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path)
    assert document["components"]["schemas"]["ErrorResponse"]["required"] == ["detail"]


async def test_keys_file_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys_file = tmp_path / "keys"
    keys_file.write_text("alpha-key\n\nbeta-key\n")
    monkeypatch.setenv("MEMORY_API_API_KEYS", f"@{keys_file}")
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.api_key_values == ["alpha-key", "beta-key"]
    assert "alpha-key" not in repr(settings)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_keys_never_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # Our loggers at their most verbose; libraries stay at WARNING as in logging_config().
    caplog.set_level(logging.DEBUG, logger="memory_api")
    await client.get("/sessions", headers={"Authorization": f"Bearer {KEYS[0]}"})
    await client.get("/sessions", headers={"Authorization": "Bearer not-a-key-xyz"})
    await client.post(
        "/state/s", json={"state_data": {"secret": "hunter2"}}, headers={"X-API-Key": KEYS[0]}
    )
    text = caplog.text
    assert caplog.records, "nothing was logged at all"
    assert KEYS[0] not in text and "not-a-key-xyz" not in text and "hunter2" not in text


def test_non_loopback_without_keys_is_refused(tmp_path: Path) -> None:
    env = ServerProcess.base_env(tmp_path)
    server = ServerProcess(env, tmp_path / "log", "--host", "0.0.0.0")
    with pytest.raises(RuntimeError, match="MEMORY_API_API_KEYS"):
        server.start()
