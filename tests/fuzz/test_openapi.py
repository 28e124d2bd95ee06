"""The OpenAPI document is useful to a newcomer: summaries, result schemas, error responses."""

from __future__ import annotations

from typing import Any

import pytest

from memory_api.app import create_app
from memory_api.settings import Settings

DOCUMENT: dict[str, Any] = create_app(Settings(_env_file=None)).openapi()  # type: ignore[call-arg]
OPERATIONS = [
    (path, method, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS)
def test_operation_is_documented(path: str, method: str, operation: dict[str, Any]) -> None:
    assert operation.get("summary"), f"{method} {path} has no summary"
    success = [code for code in operation["responses"] if code.startswith("2")]
    assert success, f"{method} {path} documents no success response"
    if method != "delete" and success[0] != "204":  # 204: No Content, by definition
        content = operation["responses"][success[0]].get("content", {})
        assert content, f"{method} {path} documents no response body"
    takes_input = operation.get("parameters") or operation.get("requestBody")
    if takes_input:
        assert "422" in operation["responses"], f"{method} {path} does not document 422"


def test_every_operation_is_present() -> None:
    assert {(p, m) for p, m, _ in OPERATIONS} >= {
        ("/state/{session_id}", "post"),
        ("/state/{session_id}", "get"),
        ("/state/{session_id}", "delete"),
        ("/sessions", "get"),
        ("/rag_query", "post"),
        ("/rag_stats", "get"),
        ("/index_files", "post"),
        ("/index_status/{task_id}", "get"),
        ("/health", "get"),
        ("/livez", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    }
