"""Logging for ``memory-api serve``: applied by uvicorn in every worker process."""

from __future__ import annotations

from typing import Any

_PREFIX = "%(asctime)s %(levelname)s %(name)s"


def logging_config(level: str = "INFO") -> dict[str, Any]:
    level = level.upper()
    handler = {
        "class": "logging.StreamHandler",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "memory_api.http.request_log.RequestIdFilter"}},
        "formatters": {
            "default": {"format": f"{_PREFIX} [%(request_id)s] %(message)s"},
            # Access lines are JSON objects that hold the request id already.
            "access": {"format": f"{_PREFIX} %(message)s"},
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
