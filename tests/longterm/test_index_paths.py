"""/index_files takes absolute paths only: a relative one would be resolved against the
server's working directory, which is not where the caller is."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
async def test_relative_directory_is_a_422_that_says_absolute(
    lt_client: httpx.AsyncClient, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(docs.parent)  # "docs" would name the root from the server's directory
    for directory in ("docs", ".", "./docs", "~/docs", ""):
        response = await lt_client.post("/index_files", json={"directory": directory})
        assert response.status_code == 422, (directory, response.text)
        (error,) = response.json()["detail"]
        assert error["loc"] == ["body", "directory"]
        assert error["msg"] == (
            "Value error, must be an absolute path (the server does not know the caller's "
            "working directory)"
        )
    assert (await lt_client.get("/rag_stats")).json()["jobs"]["pending"] == 0
    accepted = await lt_client.post("/index_files", json={"directory": os.fspath(docs)})
    assert accepted.status_code == 202, accepted.text
