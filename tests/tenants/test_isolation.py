"""Tenants never see each other's data through any endpoint.

acme and globex hold sessions, collections and documents under the same ids; initech holds
nothing. Every operation of the OpenAPI document is called (a new route is covered without
editing this test): path parameters, required query parameters and the strings of a body
generated from the operation's schema all carry one id.

- globex's answers never show acme's data or job ids;
- initech's answer for an id acme and globex use equals its answer for an id nobody uses (and
  for acme's job id, its answer for a random one): another tenant's resource is exactly as
  missing as a missing one;
- afterwards acme's data is intact.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from memory_api.testing.collections import register_collection
from memory_api.testing.jobs import wait_for_job
from memory_api.testing.tenants import Tenants

SHARED, UNUSED = "samename", "nonesuch"  # ids: used by acme and globex; used by nobody
MARK = {"acme": "acmemarker", "globex": "globexmarker"}
METHODS = ("get", "post", "put", "patch", "delete")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the template
    spec: dict[str, Any]


def _operations(document: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method, path, item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


class Requests:
    """Concrete requests for an operation, from its parameters and body schema."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.schemas = document.get("components", {}).get("schemas", {})
        self.operations = _operations(document)

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
        return self._resolve(options[0]) if options else schema

    def value(self, schema: dict[str, Any], token: str, full: bool) -> Any:
        """A value of ``schema``: strings are ``token``; objects have their required
        properties, and with ``full`` their optional plain strings too."""
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            required = set(schema.get("required", ()))
            body = {}
            for name, prop in schema.get("properties", {}).items():
                resolved = self._resolve(prop)
                plain = resolved.get("type") == "string" and "enum" not in resolved
                if name in required or (full and plain):
                    body[name] = self.value(prop, token, full)
            return body
        if kind == "array":
            return [self.value(schema.get("items", {}), token, full)]
        if kind == "integer":
            return max(1, int(schema.get("minimum", 1)))
        if kind == "number":
            return 1
        if kind == "boolean":
            return False
        return token

    def build(self, op: Operation, path_value: str, token: str, full: bool) -> dict[str, Any]:
        path, params = op.path, {}
        for parameter in op.spec.get("parameters", []):
            name, where = parameter["name"], parameter["in"]
            schema = self._resolve(parameter.get("schema", {}))
            if where == "path":
                path = path.replace("{" + name + "}", path_value)
            elif where == "query" and (
                parameter.get("required")
                or (full and schema.get("type") == "string" and "enum" not in schema)
            ):
                params[name] = self.value(schema, token, full)
        request: dict[str, Any] = {"method": op.method.upper(), "url": path, "params": params}
        content = op.spec.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            request["json"] = self.value(content["application/json"]["schema"], token, full)
        elif "multipart/form-data" in content:
            schema = self._resolve(content["multipart/form-data"]["schema"])
            files, data = [], {}
            for name, prop in schema.get("properties", {}).items():
                resolved = self._resolve(prop)
                item = self._resolve(resolved.get("items", {}))
                if "binary" in (resolved.get("format"), item.get("format")):
                    files.append((name, (f"{token}.txt", f"{token} text".encode(), "text/plain")))
                elif name in schema.get("required", ()) or full:
                    data[name] = str(self.value(prop, token, full))
            request.update(files=files, data=data)
        return request


def _normalise(value: Any, tokens: tuple[str, ...]) -> Any:
    """The answer without what differs between two equivalent calls: the ids sent, uuids,
    timestamps, durations."""
    if isinstance(value, dict):
        return {
            key: 0 if key.endswith(("_ms", "_seconds")) else _normalise(item, tokens)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_normalise(item, tokens) for item in value]
    if isinstance(value, str):
        for token in tokens:
            value = value.replace(token, "<id>")
        value = _UUID.sub("<uuid>", value)
        return "<time>" if _TIME.match(value) else value
    return value


def _answer(response: httpx.Response, tokens: tuple[str, ...]) -> tuple[int, Any]:
    try:
        body: Any = response.json()
    except (ValueError, json.JSONDecodeError):
        body = response.text
    return response.status_code, _normalise(body, tokens)


async def _seed(tenants: Tenants, tenant: str, operations: list[Operation]) -> str:
    """The same ids for every tenant: session, collection, indexed file; returns the job id.
    Uses the collection and document endpoints when the app has them."""
    client, mark = tenants.client(tenant), MARK[tenant]
    stored = await client.post(f"/state/{SHARED}", json={"state_data": {"note": mark}})
    assert stored.status_code == 201, stored.text
    templates = {(op.method, re.sub(r"\{[^}]+\}", "{}", op.path)) for op in operations}
    if ("post", "/collections") in templates:
        created = await client.post("/collections", json={"name": SHARED})
        assert created.status_code in (201, 409), created.text  # 409: made by _seed_every
    else:
        components = tenants.app.state.components
        await register_collection(
            components.database,
            SHARED,
            model=components.embedder.name,
            dimension=components.embedder.dimension,
            tenant=tenant,
        )
    if ("put", "/collections/{}/documents/{}") in templates:
        put = await client.put(
            f"/collections/{SHARED}/documents/{SHARED}", json={"text": f"{SHARED} {mark} text"}
        )
        assert put.status_code in (200, 201), put.text
    started = await client.post("/index_files", json={})
    assert started.status_code == 202, started.text
    done = await wait_for_job(client, started.json()["status_url"])
    assert done["status"] == "completed", done
    return str(started.json()["task_id"])


async def _seed_every(tenants: Tenants, tenant: str, requests: Requests) -> None:
    """Every write operation, once with its required fields and once with every plain string,
    all strings ``SHARED``: whatever a route added later stores under an id, the tenant now has
    it under the id the others use (initech's comparison then tells whether it leaks)."""
    client = tenants.client(tenant)
    for op in requests.operations:
        if op.method in ("post", "put", "patch"):
            for full in (False, True):
                response = await client.request(**requests.build(op, SHARED, SHARED, full))
                assert response.status_code < 500, (op.method, op.path, response.text)


async def _acme_view(tenants: Tenants) -> list[Any]:
    acme = tenants.client("acme")
    state = (await acme.get(f"/state/{SHARED}")).json()
    found = await acme.post("/rag_query", json={"query": f"{SHARED} notes", "mode": "semantic"})
    jobs = [(job["task_id"], job["status"]) for job in (await acme.get("/index_jobs")).json()]
    stats = (await acme.get("/rag_stats")).json()
    return [
        state["state_data"],
        [result["content"] for result in found.json()["results"]],
        jobs,
        (stats["documents"], stats["chunks"], stats["vectors"]),
    ]


async def test_no_endpoint_shows_another_tenants_data(tenants: Tenants) -> None:
    document = (await tenants.client("acme").get("/openapi.json")).json()
    operations = _operations(document)
    assert len(operations) >= 12, [(op.method, op.path) for op in operations]
    requests = Requests(document)
    for tenant in ("acme", "globex"):
        marked = f"# {SHARED}\n\n{SHARED} {MARK[tenant]} notes.\n"
        (tenants.roots[tenant] / f"{SHARED}.md").write_text(marked)
        await _seed_every(tenants, tenant, requests)
    # Then the marked data, written last so that nothing above overwrote it.
    acme_job = await _seed(tenants, "acme", operations)
    await _seed(tenants, "globex", operations)
    acme_before = await _acme_view(tenants)
    assert acme_before[0] == {"note": MARK["acme"]}
    assert any(MARK["acme"] in content for content in acme_before[1])
    random_job = str(uuid.uuid4())
    served: set[tuple[str, str]] = set()

    for op in operations:
        for full in (False, True):
            # initech has nothing: ids acme and globex use answer as ids nobody uses.
            initech = tenants.client("initech")
            for used, unused in ((SHARED, UNUSED), (acme_job, random_job)):
                first = requests.build(op, used, used if used == SHARED else UNUSED, full)
                second = requests.build(op, unused, UNUSED, full)
                one = await initech.request(**first)
                two = await initech.request(**second)
                where = (op.method, op.path, full, used)
                for response in (one, two):
                    assert response.status_code < 500, (where, response.text)
                    assert not any(mark in response.text for mark in MARK.values()), where
                    assert acme_job not in response.text or acme_job in str(first), where
                if first != second:
                    tokens = (used, unused, SHARED, UNUSED)
                    assert _answer(one, tokens) == _answer(two, tokens), where
            # globex has its own data under the same ids: never acme's.
            globex = tenants.client("globex")
            for value in (SHARED, acme_job):
                sent = requests.build(op, value, SHARED, full)
                response = await globex.request(**sent)
                where = (op.method, op.path, full, value)
                assert response.status_code < 500, (where, response.text)
                assert MARK["acme"] not in response.text, (where, response.text)
                assert acme_job not in response.text or acme_job in str(sent), where
                if response.status_code < 300:
                    served.add((op.method, op.path))

    # The walk reached the data, not only validation errors.
    assert {
        ("get", "/state/{session_id}"),
        ("get", "/sessions"),
        ("post", "/rag_query"),
        ("get", "/rag_stats"),
        ("get", "/index_jobs"),
    } <= served, served
    assert await _acme_view(tenants) == acme_before
