"""Bodies must say they are JSON (415 otherwise); each route declares what it accepts."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from memory_api.http.handlers import install_exception_handlers
from memory_api.http.routing import JSONRoute, accepts
from memory_api.http.schemas import StrictRequest

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

BODY = b'{"state_data": {}, "query": "x"}'


def body_routes(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    """(method, path, media types) of every operation that takes a body, with its path
    parameters filled; the media types as the OpenAPI document declares them."""
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "s", path), list(operation["requestBody"]["content"]))
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]


def _listed(media_types: list[str]) -> str:
    *others, last = media_types
    return f"{', '.join(others)} or {last}" if others else last


@SQLITE
async def test_every_body_route_wants_json(app: FastAPI, client: httpx.AsyncClient) -> None:
    routes = body_routes(app)
    assert ("POST", "/state/s", ["application/json"]) in routes
    assert ("POST", "/rag_query", ["application/json"]) in routes
    # PATCH takes the patch formats only (issue 15): a plain JSON body is refused there
    patch_types = ["application/merge-patch+json", "application/json-patch+json"]
    assert ("PATCH", "/state/s", patch_types) in routes
    # Uploads are the one multipart route; every other body is JSON (or a JSON patch).
    assert [route for route in routes if "json" not in route[2][0]] == [
        ("POST", "/collections/s/files", ["multipart/form-data"])
    ]
    for method, path, media_types in routes:
        json_type = media_types[0]
        not_declared = ["application/json"] if json_type != "application/json" else []
        for content_type in (
            None,
            "text/plain",
            "application/x-www-form-urlencoded",
            "json",
            *not_declared,
        ):
            headers = {} if content_type is None else {"content-type": content_type}
            response = await client.request(method, path, content=BODY, headers=headers)
            assert response.status_code == 415, (method, path, content_type, response.text)
            detail = response.json()["detail"]
            assert detail.endswith(f"send the body as {_listed(media_types)}"), detail
            if content_type is None:
                assert detail.startswith("Missing Content-Type")
            else:
                assert content_type in detail
        if "json" not in json_type:  # multipart: its charset and casing are not JSON's rules
            continue
        refused = await client.request(
            method,
            path,
            content=BODY,
            headers={"content-type": f"{json_type}; charset=latin-1"},
        )
        assert refused.status_code == 415, refused.text
        for content_type in (json_type, f"{json_type.upper()}; charset=UTF-8"):
            response = await client.request(
                method, path, content=BODY, headers={"content-type": content_type}
            )
            assert response.status_code != 415, (method, path, content_type)


@SQLITE
async def test_no_body_and_no_content_type_is_a_missing_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/state/s")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "missing"


@SQLITE
async def test_invalid_utf8_says_so(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/state/s",
        content=b'{"state_data": {"x": "\xff\xfe"}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"type": "json_invalid", "loc": ["body", 22], "msg": "request body is not valid UTF-8"}
    ]


@SQLITE
async def test_the_body_limit_comes_first(client: httpx.AsyncClient, app: FastAPI) -> None:
    limit = app.state.settings.max_body_bytes
    response = await client.post(
        "/state/s", content=b"x" * (limit + 1), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 413


@SQLITE
async def test_the_openapi_document_lists_415_for_body_routes(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    assert "415" in paths["/state/{session_id}"]["post"]["responses"]
    assert "415" in paths["/rag_query"]["post"]["responses"]
    assert "415" not in paths["/state/{session_id}"]["get"]["responses"]


class Patch(StrictRequest):
    value: int


async def test_a_route_declares_other_media_types() -> None:
    """What a PATCH with JSON Merge Patch bodies will use: a property of the route."""
    router = APIRouter(route_class=JSONRoute)

    @router.patch("/thing")
    @accepts("application/merge-patch+json", "application/json-patch+json")
    async def patch(body: Patch) -> dict[str, Any]:
        return {"value": body.value}

    app = FastAPI()
    install_exception_handlers(app)
    app.include_router(router)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        for kind in ("application/merge-patch+json", "application/json-patch+json"):
            response = await client.patch(
                "/thing", content=b'{"value": 3}', headers={"content-type": kind}
            )
            assert response.json() == {"value": 3}, kind
        response = await client.patch(
            "/thing", content=b'{"value": 3}', headers={"content-type": "application/json"}
        )
        assert response.status_code == 415
        assert response.json()["detail"] == (
            "Unsupported media type 'application/json': send the body as "
            "application/merge-patch+json or application/json-patch+json"
        )
