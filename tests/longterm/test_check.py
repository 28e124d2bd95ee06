"""`memory-api check [--repair]`: drift between the database and Chroma, and its repair."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI

from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.components import open_components
from memory_api.documents.consistency import check
from memory_api.settings import Settings
from memory_api.testing.collections import register_collection, vector_collection
from memory_api.testing.server import ServerProcess, cli_path


async def test_drift_is_reported_and_repaired(lt_app: FastAPI, docs: Path, index: Any) -> None:
    for i in range(3):
        (docs / f"n{i}.md").write_text(f"Note {i} about the {['sea', 'sky', 'soil'][i]}.")
    assert (await index())["status"] == "completed"
    components = lt_app.state.components
    name = components.settings.collection_name
    assert (await check(components, DEFAULT_TENANT, name)).consistent

    vectors = await vector_collection(components.database, name)
    ids = sorted(await components.vectors.ids(vectors))
    await components.vectors.delete(vectors, ids[:1])
    orphan = np.ones((1, 384), dtype=np.float32) / np.sqrt(384)
    await components.vectors.upsert(vectors, ["orphan-1"], orphan)

    report = await check(components, DEFAULT_TENANT, name)
    assert not report.consistent
    assert report.vectors_without_chunk == ["orphan-1"]
    assert report.chunks_without_vector == ids[:1]

    repaired = await check(components, DEFAULT_TENANT, name, repair=True)
    assert repaired.repaired
    after = await check(components, DEFAULT_TENANT, name)
    assert after.consistent and after.chunks == after.vectors == 3


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
def test_check_command_exit_codes(lt_settings: Settings, tmp_path: Path) -> None:
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_DATA_DIR=str(lt_settings.data_dir),
        MEMORY_API_COLLECTION_NAME=lt_settings.collection_name,
        MEMORY_API_EMBEDDING_MODEL_DIR=str(lt_settings.embedding_model_dir),
    )

    def check_command(*args: str) -> subprocess.CompletedProcess[str]:
        command = [cli_path(), "check", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    result = check_command()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["consistent"] is True

    # Comparing ids needs no model: only a repair embeds (and so fails without one).
    env["MEMORY_API_EMBEDDING_MODEL_DIR"] = str(tmp_path / "missing")
    without_model = check_command()
    assert without_model.returncode == 0, without_model.stderr
    assert json.loads(without_model.stdout)["consistent"] is True
    repair = check_command("--repair")
    assert repair.returncode != 0
    assert repair.stderr.startswith("memory-api: check failed: embedding model not found")
    assert len(repair.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
async def test_check_names_another_model_without_loading_one(
    lt_settings: Settings, tmp_path: Path
) -> None:
    """The collection's recorded model is compared by name: the local model's is known."""
    async with open_components(lt_settings, start_embedder=False) as components:
        await register_collection(
            components.database, lt_settings.collection_name, model="other-model", dimension=8
        )
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_DATA_DIR=str(lt_settings.data_dir),
        MEMORY_API_COLLECTION_NAME=lt_settings.collection_name,
        MEMORY_API_EMBEDDING_MODEL_DIR=str(tmp_path / "missing"),
    )
    result = await asyncio.to_thread(
        subprocess.run, [cli_path(), "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["model_problem"] == (
        "collection built with other-model (8 dimensions), configured model is "
        "all-MiniLM-L6-v2-int8 (model not loaded)"  # int8: the default for a non-fp32 database
    )
