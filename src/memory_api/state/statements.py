"""Every SQL statement of session state, written once.

Both execution paths run this text: SQLAlchemy (``text()``, named ``:params``, SQLite and
PostgreSQL) and, for PostgreSQL's hot path, the plain asyncpg pool (the same text with the
names turned into ``$1, $2, ...`` at import, so a request pays nothing for the sharing). The few
words SQLite and PostgreSQL spell differently (row locks) are filled in per dialect here, once.

The state document is read back as the JSON text stored (``CAST(... AS TEXT)``), never parsed:
responses splice it in as is.
"""

# ruff: noqa: S608  (statements are composed from constant fragments at import, never from input)
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import TextClause, bindparam, text

from memory_api.db.columns import UTCDateTime

_NAME = re.compile(r"(?<![:\w]):(\w+)")
_TIME_PARAMETERS = ("now", "expires_at")
_TIME_COLUMNS = ("created_at", "updated_at", "expires_at")


@dataclass(frozen=True)
class Statement:
    """One statement: ``sql`` with ``:name`` parameters, its asyncpg spelling and its clause."""

    sql: str
    asyncpg_sql: str = field(init=False)
    names: tuple[str, ...] = field(init=False)
    clause: TextClause = field(init=False)

    def __post_init__(self) -> None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        object.__setattr__(self, "asyncpg_sql", _NAME.sub(number, self.sql))
        object.__setattr__(self, "names", tuple(names))
        clause = text(self.sql)
        typed = [bindparam(name, type_=UTCDateTime()) for name in _TIME_PARAMETERS if name in names]
        if typed:
            clause = clause.bindparams(*typed)
        columns = {
            name: UTCDateTime() for name in _TIME_COLUMNS if re.search(rf"\b{name}\b", self.sql)
        }
        object.__setattr__(self, "clause", clause.columns(**columns) if columns else clause)

    def arguments(self, parameters: Mapping[str, Any]) -> tuple[Any, ...]:
        """The parameters in asyncpg's positional order."""
        return tuple(parameters[name] for name in self.names)


_ROW = "session_id, CAST(state_data AS TEXT) AS state_json, version, created_at, updated_at"
_KEY = "tenant = :tenant AND session_id = :session_id"


@dataclass(frozen=True)
class StateStatements:
    """The statements of one dialect."""

    upsert: Statement
    get: Statement
    delete: Statement
    list: Statement


def _statements(dialect: str) -> StateStatements:
    del dialect  # no statement differs yet between SQLite and PostgreSQL
    return StateStatements(
        upsert=Statement(
            "INSERT INTO session_states AS s (tenant, session_id, state_data, version, "
            "created_at, updated_at) VALUES (:tenant, :session_id, :state, 1, :now, :now) "
            "ON CONFLICT (tenant, session_id) DO UPDATE SET state_data = excluded.state_data, "
            "updated_at = excluded.updated_at, version = s.version + 1 RETURNING version"
        ),
        get=Statement(f"SELECT {_ROW} FROM session_states WHERE {_KEY}"),
        delete=Statement(f"DELETE FROM session_states WHERE {_KEY} RETURNING version"),
        list=Statement(
            f"SELECT {_ROW} FROM session_states WHERE tenant = :tenant "
            "ORDER BY updated_at DESC, session_id LIMIT :limit OFFSET :skip"
        ),
    )


POSTGRESQL = _statements("postgresql")
SQLITE = _statements("sqlite")


def for_dialect(dialect: str) -> StateStatements:
    return POSTGRESQL if dialect == "postgresql" else SQLITE
