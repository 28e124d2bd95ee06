"""What the lifespan does to the process beyond opening resources."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from memory_api.app import create_app
from memory_api.settings import Settings


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_start_up_heap_is_frozen_while_serving_and_released_after(
    settings: Settings,
) -> None:
    """Start-up objects leave the collector's full passes (see app._freeze_startup_heap), and
    come back at shutdown so a process that builds many apps can free them."""
    assert gc.get_freeze_count() == 0
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0


async def test_default_index_root_is_created_and_roots_are_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "data", embedding_model_dir=tmp_path / "no-model"
    )
    with caplog.at_level(logging.INFO, logger="memory_api.indexing"):
        async with LifespanManager(create_app(settings, run_worker=False), startup_timeout=60):
            pass
    root = (tmp_path / "data" / "documents").resolve()
    assert root.is_dir()
    assert [r.getMessage() for r in caplog.records if r.name == "memory_api.indexing"] == [
        f"index roots (MEMORY_API_INDEX_ROOTS): {root}"
    ]


async def test_missing_configured_roots_are_not_created_but_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    present, missing = tmp_path / "present", tmp_path / "missing"
    present.mkdir()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        embedding_model_dir=tmp_path / "no-model",
        index_roots=[present, missing],
    )
    with caplog.at_level(logging.INFO, logger="memory_api.indexing"):
        async with LifespanManager(create_app(settings, run_worker=False), startup_timeout=60):
            pass
    assert not missing.exists() and not (tmp_path / "data" / "documents").exists()
    records = [r for r in caplog.records if r.name == "memory_api.indexing"]
    assert [(r.levelname, r.getMessage()) for r in records] == [
        ("INFO", f"index roots (MEMORY_API_INDEX_ROOTS): {present}, {missing}"),
        ("WARNING", f"index root {missing} does not exist or is not a directory"),
    ]
