"""Stopping the pipeline's stages never tears the batch write in hand."""

from __future__ import annotations

import asyncio

import pytest

from memory_api.indexing.stages import run_stages, to_the_end


async def test_a_write_in_hand_finishes_before_the_stop_goes_on() -> None:
    steps: list[str] = []

    async def write() -> None:
        steps.append("vectors")
        await asyncio.sleep(0.2)
        steps.append("rows")

    task = asyncio.create_task(to_the_end(write()))
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.sleep(0.05)
    task.cancel()  # a second stop (shutdown during a cancel) does not tear it either
    with pytest.raises(asyncio.CancelledError):
        await task
    assert steps == ["vectors", "rows"]


async def test_another_stage_failing_lets_the_write_finish_and_propagates_as_itself() -> None:
    steps: list[str] = []

    async def failing() -> None:
        await asyncio.sleep(0.05)
        raise LookupError("prepare failed")

    async def writing() -> None:
        async def write() -> None:
            await asyncio.sleep(0.2)
            steps.append("written")

        await to_the_end(write())
        steps.append("next batch")  # never reached: the stop goes on after the write

    with pytest.raises(LookupError, match="prepare failed"):
        await run_stages(failing(), writing())
    assert steps == ["written"]
