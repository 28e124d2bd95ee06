"""Running the pipeline's concurrent stages, and stopping them without tearing a write."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


async def run_stages(*stages: Any) -> None:
    """Run the stages together; the first failure cancels the others and propagates as itself."""
    try:
        async with asyncio.TaskGroup() as group:
            for stage in stages:
                group.create_task(stage)
    except BaseExceptionGroup as failure:
        first: BaseException = failure
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None


async def to_the_end(work: Coroutine[Any, Any, None]) -> None:
    """Run a batch write to its end even when the job is being stopped (cancelled, another
    stage failed, shutdown), then let the stop go on. Stopped halfway, a write would leave
    vectors in Chroma that no committed row describes."""
    task = asyncio.ensure_future(work)
    interrupted = False
    while True:
        try:
            await asyncio.shield(task)  # the shield keeps a cancellation from reaching it
            break
        except asyncio.CancelledError:
            if task.done():
                raise
            interrupted = True
    if interrupted:
        raise asyncio.CancelledError
