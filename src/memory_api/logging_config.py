"""Logging for ``memory-api serve``: applied by uvicorn in every worker process."""

from __future__ import annotations

import logging
import time
from typing import Any

_PREFIX = "%(asctime)s %(levelname)s %(name)s"


class Formatter(logging.Formatter):
    """``logging.Formatter`` whose default ``asctime`` (``2026-12-02 16:38:21,230``) formats
    the date and time once a second, not once a line: ``time.strftime`` was a quarter of an
    access line's formatting (bench.state_throughput, issue 17)."""

    _second = -1
    _text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._text = time.strftime(self.default_time_format, self.converter(record.created))
            self._second = second
        if self.default_msec_format:
            return self.default_msec_format % (self._text, record.msecs)
        return self._text


def logging_config(level: str = "INFO") -> dict[str, Any]:
    level = level.upper()
    handler = {
        "class": "logging.StreamHandler",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    formatter = "memory_api.logging_config.Formatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "memory_api.http.request_log.RequestIdFilter"}},
        "formatters": {
            "default": {"()": formatter, "fmt": f"{_PREFIX} [%(request_id)s] %(message)s"},
            # Access lines are JSON objects that hold the request id already.
            "access": {"()": formatter, "fmt": f"{_PREFIX} %(message)s"},
        },
        "handlers": {
            "stderr": {**handler, "formatter": "default"},
            "access": {**handler, "formatter": "access"},
        },
        "loggers": {
            "memory_api": {"level": level, "handlers": ["stderr"], "propagate": False},
            "memory_api.access": {"level": level, "handlers": ["access"], "propagate": False},
            "uvicorn": {"level": level, "handlers": ["stderr"], "propagate": False},
            "uvicorn.access": {"level": "WARNING", "handlers": ["stderr"], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
    }
