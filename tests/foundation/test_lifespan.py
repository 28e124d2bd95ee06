"""What the lifespan does to the process beyond opening resources."""

from __future__ import annotations

import gc

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
