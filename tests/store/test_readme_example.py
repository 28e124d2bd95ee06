"""The README's LangGraph store example, run as written against a real server process."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from memory_api.langgraph import MemoryAPIStore
from memory_api.testing.server import ServerProcess

README = Path(__file__).resolve().parents[2] / "README.md"

pytestmark = [pytest.mark.slow, pytest.mark.model]


def readme_example() -> str:
    section = README.read_text().split("## LangGraph store", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_store_example(
    server: ServerProcess, tenant_key: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMORY_API_URL", server.url)
    monkeypatch.setenv("MEMORY_API_KEY", tenant_key[1])
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(readme_example(), "README.md", "exec"), {"__name__": "readme"})
    assert "I remember: ['I love spicy Thai curry']" in printed.getvalue()
    with MemoryAPIStore(url=server.url, api_key=tenant_key[1]) as store:
        item = store.get(("memories", "u42"), "last")
    assert item is not None
    assert item.value == {"text": "I love spicy Thai curry"}
