"""What a job handler is given and may raise, whatever its kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: ``report(percent, details)``; the worker publishes the latest call at each heartbeat. It
#: may raise ``JobCancelled`` to stop the job, so a handler calls it only where stopping is safe.
Report = Callable[[int, str], None]


class JobCancelled(Exception):
    """Raised by a job's ``report`` once its cancellation was asked for, so the run stops at
    its next step; ``result`` is what it did until then, ``details`` says so in a sentence."""

    def __init__(self) -> None:
        super().__init__("cancelled")
        self.result: dict[str, Any] = {"cancelled": True}
        self.details = "Cancelled"
