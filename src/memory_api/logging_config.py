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
        return self.time_text(record.created, record.msecs)

    def time_text(self, created: float, msecs: float) -> str:
        """The default ``asctime`` of a record created at ``created`` (``msecs`` its own)."""
        second = int(created)
        if second != self._second:
            self._text = time.strftime(self.default_time_format, self.converter(created))
            self._second = second
        if self.default_msec_format:
            return self.default_msec_format % (self._text, msecs)
        return self._text


ACCESS_LOGGER = "memory_api.access"
ACCESS_FORMAT = f"{_PREFIX} %(message)s"


class AccessHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """``memory-api serve``'s handler of the access lines: a ``StreamHandler``, and
    ``write_access``, which writes a line exactly as ``handle`` would with the access format
    (tests/security/test_request_log.py) in one call instead of some thirty (the record, the
    logger's and the handler's filters, locks, formatting: 40-50 us of a served GET /state,
    more than the rest of the request log, bench.state_throughput). The request log calls it
    when this handler alone takes its lines (``request_log.log_access``)."""

    #: the formatter is the access format's own, as ``write_access`` writes it
    direct = False

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        super().setFormatter(fmt)
        self.direct = type(fmt) is Formatter and fmt._fmt == ACCESS_FORMAT and fmt.datefmt is None

    def write_access(self, message: str, created: float) -> None:
        """The line of an INFO record of ``message`` created at ``created`` (``time.time()``)."""
        formatter: Formatter = self.formatter  # type: ignore[assignment]
        msecs = int((created - int(created)) * 1000) + 0.0  # as LogRecord computes it
        line = ACCESS_FORMAT % {
            "asctime": formatter.time_text(created, msecs),
            "levelname": "INFO",
            "name": ACCESS_LOGGER,
            "message": message,
        }
        try:
            with self.lock:  # type: ignore[union-attr]
                self.stream.write(line + self.terminator)
                self.stream.flush()
        except Exception:  # as emit(): a failing stream never fails the request
            fields = {"name": ACCESS_LOGGER, "levelno": logging.INFO, "msg": message}
            self.handleError(logging.makeLogRecord({**fields, "levelname": "INFO"}))


def logging_config(level: str = "INFO") -> dict[str, Any]:
    level = level.upper()
    stream = "ext://sys.stderr"
    formatter = "memory_api.logging_config.Formatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "memory_api.http.request_log.RequestIdFilter"}},
        "formatters": {
            "default": {"()": formatter, "fmt": f"{_PREFIX} [%(request_id)s] %(message)s"},
            # Access lines are JSON objects that hold the request id already.
            "access": {"()": formatter, "fmt": ACCESS_FORMAT},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "stream": stream,
                "formatter": "default",
            },
            "access": {
                "class": "memory_api.logging_config.AccessHandler",
                "stream": stream,
                "formatter": "access",
            },
        },
        "loggers": {
            "memory_api": {"level": level, "handlers": ["stderr"], "propagate": False},
            ACCESS_LOGGER: {"level": level, "handlers": ["access"], "propagate": False},
            "uvicorn": {"level": level, "handlers": ["stderr"], "propagate": False},
            "uvicorn.access": {"level": "WARNING", "handlers": ["stderr"], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
    }
