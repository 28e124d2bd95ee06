"""The route index answers every request as FastAPI's own route walk does, and leaves the
same scope behind (the route, its parameters, FastAPI's bookkeeping)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from starlette.types import Receive, Scope, Send

from memory_api.http.route_index import RouteIndex, install_route_index

JSON = {"content-type": "application/json"}
MERGE = {"content-type": "application/merge-patch+json"}
#: (method, path, body, headers): in this order, so the writes meet the states they expect
REQUESTS: list[tuple[str, str, bytes | None, dict[str, str]]] = [
    ("POST", "/state/idx-1", b'{"state_data": {"a": 1}}', JSON),
    ("GET", "/state/idx-1", None, {}),
    ("GET", "/state/idx-1?version=1", None, {}),
    ("GET", "/state/idx-1", None, {"if-none-match": "*"}),
    ("PATCH", "/state/idx-1", b'{"b": 2}', MERGE),
    ("PATCH", "/state/idx-1", b'{"b": 2}', JSON),
    ("GET", "/state/idx-1/history", None, {}),
    ("POST", "/state/idx-1/history", b"{}", JSON),
    ("PUT", "/state/idx-1", b"{}", JSON),
    ("HEAD", "/state/idx-1", None, {}),
    ("OPTIONS", "/state/idx-1", None, {}),
    ("DELETE", "/state/idx-1", None, {}),
    ("GET", "/state/idx-1", None, {}),
    ("POST", "/state/idx-1", b'{"state_data": 3}', JSON),
    ("POST", "/state/idx-1", b"{", JSON),
    ("POST", "/state/idx-1", b"{}", {"content-type": "text/plain"}),
    ("GET", "/state/a%2Fb", None, {}),
    ("GET", "/state/idx-1/", None, {}),
    ("GET", "/state/" + "x" * 300, None, {}),
    ("GET", "/state/bad id", None, {}),
    ("GET", "/state", None, {}),
    ("GET", "/state/", None, {}),
    ("GET", "/sessions?limit=2", None, {}),
    ("GET", "/sessions?limit=0", None, {}),
    ("GET", "/livez", None, {}),
    ("POST", "/livez", None, {}),
    ("GET", "/livez/", None, {}),
    ("GET", "/health", None, {}),
    ("GET", "/openapi.json", None, {}),
    ("GET", "/ui", None, {}),
    ("GET", "/ui/", None, {}),
    ("GET", "/ui/assets/none.js", None, {}),
    ("GET", "/", None, {}),
    ("GET", "/nowhere", None, {}),
    ("GET", "/collections", None, {}),
    ("GET", "/collections/none", None, {}),
    ("GET", "/collections/none/documents/x", None, {}),
    ("DELETE", "/store/items", b'{"namespace": ["a"], "key": "k"}', JSON),
    ("GET", "/index_status/none", None, {}),
]
#: what the route decided; the rest of the scope is the request's own
DECIDED = ("route", "endpoint", "path_params", "router")
TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT[\d:.]+Z")
INCARNATION = re.compile(r'^"(\d+)-[0-9a-f]+"$')  # an ETag's creation time


class Recorder:
    """The app, keeping the scope of the last request as the app left it."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.scope: Scope = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.scope = scope
        await self.app(scope, receive, send)


def decided(scope: Scope) -> dict[str, Any]:
    found = {key: scope.get(key) for key in DECIDED}
    found["fastapi"] = dict(scope.get("fastapi", {}))
    return found


def answer(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    # The two rounds write the same states at different times (ETags name the creation time).
    headers = [
        (k, INCARNATION.sub(r'"\1-<created>"', v) if k == "etag" else v)
        for k, v in response.headers.multi_items()
        if k != "x-request-id"
    ]
    return response.status_code, TIMESTAMP.sub(b"<time>", response.content), headers


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_index_answers_as_fastapi_walk(app: FastAPI) -> None:
    router = app.router
    index = router.middleware_stack
    assert isinstance(index, RouteIndex)
    recorder = Recorder(app)
    transport = httpx.ASGITransport(app=recorder)
    results: dict[str, list[Any]] = {"index": [], "walk": []}
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for name, stack in (("index", index), ("walk", index.app)):
            router.middleware_stack = stack
            for method, path, body, headers in REQUESTS:
                response = await client.request(method, path, content=body, headers=headers)
                results[name].append((method, path, answer(response), decided(recorder.scope)))
        router.middleware_stack = index
    for by_index, by_walk in zip(results["index"], results["walk"], strict=True):
        assert by_index == by_walk
    statuses = {answer[0] for _, _, answer, _ in results["index"]}
    assert {200, 201, 204, 304, 307, 404, 405, 415, 422} <= statuses, statuses


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_routes_added_later_are_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    assert (await client.get("/late")).status_code == 404
    app.router.add_api_route("/late", lambda: {"late": True}, methods=["GET"])
    response = await client.get("/late")
    assert response.status_code == 200
    assert response.json() == {"late": True}


async def test_a_route_fastapi_tries_first_keeps_the_request() -> None:
    """A mount before an included route of the same path takes the request, as in FastAPI's
    walk; a path only the included route matches goes to it."""
    app = FastAPI()
    mounted = FastAPI()
    mounted.add_api_route("/x", lambda: "mount", methods=["GET"])
    app.mount("/m", mounted)
    router = APIRouter()
    router.add_api_route("/m/x", lambda: "route", methods=["GET"])
    router.add_api_route("/n/x", lambda: "route", methods=["GET"])
    app.include_router(router)
    install_route_index(app)
    assert isinstance(app.router.middleware_stack, RouteIndex)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/m/x")).json() == "mount"
        assert (await client.get("/n/x")).json() == "route"
