"""Progress of a running job moves while work is done: per file checked, per embedding run."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.collections.repository import CollectionRepository
from memory_api.collections.service import CollectionService
from memory_api.indexing.pipeline import IndexingPipeline
from memory_api.settings import Settings

COUNTS = re.compile(r"(\d+)/(\d+) files checked, (\d+)/(\d+) chunks embedded, (\d+) files indexed")


def _write_files(docs: Path, files: int, paragraphs: int) -> None:
    for i in range(files):
        text = "\n\n".join(
            f"File {i}, paragraph {p}: notes about rivers, bridges and the boats that pass "
            f"under them, written for the progress test. " * 8
            for p in range(paragraphs)
        )
        (docs / f"file{i}.txt").write_text(text)


async def test_reported_steps_follow_each_file_and_each_embedding_run(
    lt_app: FastAPI, lt_settings: Settings, docs: Path
) -> None:
    """The pipeline reports every file it checks and every embedding run, with the counts."""
    _write_files(docs, files=3, paragraphs=20)
    components = lt_app.state.components
    pipeline = IndexingPipeline(
        components.database, components.embedder, components.vectors, lt_settings
    )
    reports: list[tuple[int, str]] = []
    async with components.database.unit_of_work() as session:
        collection = await CollectionService(
            CollectionRepository(session), components.embedder, lt_settings, DEFAULT_TENANT
        ).resolve()
    result = await pipeline.run(
        collection,
        docs,
        [".txt"],
        False,
        lambda progress, details: reports.append((progress, details)),
    )
    chunks = result["chunks_written"]
    assert (result["indexed"], chunks) == (3, 60)
    counts = [tuple(map(int, m.groups())) for _, d in reports if (m := COUNTS.search(d))]
    checked = [c[0] for c in counts]
    assert sorted(set(checked)) == [0, 1, 2, 3]  # each file checked is a step
    embedded = [c[2] for c in counts]
    assert embedded == sorted(embedded) and embedded[-1] == chunks
    steps = [b - a for a, b in itertools.pairwise(embedded) if b > a]
    # Embedding runs are reported one by one, never more than a batch at once.
    assert len(steps) >= chunks // lt_settings.embedding_batch_size
    assert max(steps) <= lt_settings.embedding_batch_size
    assert [c[4] for c in counts][-1] == 3
    percents = [p for p, _ in reports]
    assert percents == sorted(percents) and 0 < percents[-1] <= 99


@pytest.mark.timeout(600)  # its own deadline is 300 s
async def test_progress_seen_over_http_moves_within_a_file(
    lt_client: httpx.AsyncClient, docs: Path
) -> None:
    """A job of several seconds, sampled as a client does: the status moves while one file's
    chunks are embedded, not only between files. Big files made this fail: a file's chunks were
    embedded in one call and progress moved per file (0, 50, 100, 150 chunks embedded). No
    timing is asserted: how often it moves depends on the machine's load, the steps do not."""
    _write_files(docs, files=3, paragraphs=50)
    response = await lt_client.post("/index_files", json={"directory": str(docs)})
    status_url = response.json()["status_url"]
    deadline = time.monotonic() + 300
    seen: list[tuple[int, str]] = []
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = (await lt_client.get(status_url)).json()
        if job["status"] in {"completed", "failed"}:
            break
        state = (job["progress"], job["details"])
        if job["status"] == "in_progress" and (not seen or seen[-1] != state):
            seen.append(state)
        await asyncio.sleep(0.1)
    assert job["status"] == "completed", job
    assert job["result"]["chunks_written"] == 150
    # How many states a 0.1 s poller catches depends on the load (4 at a load of 8), so only
    # what was reported is asserted: progress that moved, and a count inside a file.
    percents = [progress for progress, _ in seen]
    assert percents == sorted(percents) and len(set(percents)) >= 2, seen
    embedded = {int(match[3]) for _, details in seen if (match := COUNTS.search(details))}
    assert embedded - {0, 50, 100, 150}, seen  # a count inside a file was reported
