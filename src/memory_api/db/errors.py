"""Turn database connectivity failures into ``DatabaseUnavailable`` (503).

Two depths: while a connection is being acquired, drivers raise raw ``OSError`` /
``TimeoutError`` (asyncpg does not wrap refused connections); once connected, SQLAlchemy wraps
driver errors in ``DBAPIError`` and flags dropped links. Only those are translated, so an
unrelated ``OSError`` in request code is never mislabelled as a database outage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from memory_api.errors import DatabaseUnavailable

_RAW_CONNECT_ERRORS = (OSError, asyncio.TimeoutError, sa_exc.TimeoutError)
_DRIVER_DISCONNECTS = {
    "ConnectionDoesNotExistError",
    "CannotConnectNowError",
    "ConnectionFailureError",
    "TooManyConnectionsError",
    "AdminShutdownError",
}


def _is_disconnect(error: BaseException) -> bool:
    if not isinstance(error, sa_exc.DBAPIError):
        return isinstance(error, sa_exc.TimeoutError)  # pool checkout timed out
    if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return True
    orig = error.orig
    if isinstance(orig, OSError | asyncio.TimeoutError):
        return True
    return type(orig).__name__ in _DRIVER_DISCONNECTS or any(
        type(cause).__name__ in _DRIVER_DISCONNECTS for cause in _causes(orig)
    )


def _causes(error: BaseException | None) -> Iterator[BaseException]:
    while error is not None:
        yield error
        error = error.__cause__


def _unavailable(error: BaseException) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"Database unavailable ({type(error).__name__}); retry later")


@contextmanager
def translate_connect_errors() -> Iterator[None]:
    """Around acquiring a connection: any OS-level failure means the database is unreachable."""
    try:
        yield
    except _RAW_CONNECT_ERRORS as error:
        raise _unavailable(error) from error
    except sa_exc.DBAPIError as error:
        raise _unavailable(error) from error


@contextmanager
def translate_disconnects() -> Iterator[None]:
    """Around statements: a dropped link becomes 503; SQL errors stay what they are."""
    try:
        yield
    except sa_exc.SQLAlchemyError as error:
        if _is_disconnect(error):
            raise _unavailable(error) from error
        raise
