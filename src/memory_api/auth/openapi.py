"""The OpenAPI side of authentication: both schemes, and the 401 of every protected route."""

from __future__ import annotations

from typing import Any

from memory_api.auth.middleware import PUBLIC_PATHS
from memory_api.http.schemas import ErrorResponse


def declare_security(openapi: dict[str, Any]) -> dict[str, Any]:
    """Add the two accepted schemes to an OpenAPI document: required on every operation but
    the public ones, each of which then documents its 401."""
    components = openapi.setdefault("components", {})
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    components.setdefault("schemas", {}).setdefault(
        "ErrorResponse", ErrorResponse.model_json_schema()
    )
    openapi["security"] = [{"bearer": []}, {"apiKey": []}]
    unauthorised = {
        "description": "Missing or invalid API key",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
    for path, item in openapi.get("paths", {}).items():
        for operation in item.values():
            if path in PUBLIC_PATHS:
                operation["security"] = []
            else:
                operation.setdefault("responses", {}).setdefault("401", unauthorised)
    return openapi
