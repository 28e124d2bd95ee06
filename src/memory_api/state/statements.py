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
_TIME_PARAMETERS = ("now", "expires_at", "after_time", "incarnation")
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


_ROW = (
    "session_id, CAST(state_data AS TEXT) AS state_json, version, created_at, updated_at, "
    "expires_at"
)
_META = "tenant, session_id, version, created_at, updated_at, expires_at"
_KEY = "tenant = :tenant AND session_id = :session_id"
_LIVE = "(expires_at IS NULL OR expires_at > :now)"
_INSERT = (
    "INSERT INTO session_states AS s (tenant, session_id, state_data, version, created_at, "
    "updated_at, expires_at) VALUES (:tenant, :session_id, :state, 1, :now, :now, :expires_at) "
    "ON CONFLICT (tenant, session_id) DO UPDATE SET state_data = excluded.state_data, "
    "updated_at = excluded.updated_at, expires_at = excluded.expires_at, "
)
# An expired session that has not been swept yet is absent: writing it starts it afresh.
_EXPIRED = "s.expires_at <= excluded.updated_at"
_UPSERT = (
    f"{_INSERT}version = CASE WHEN {_EXPIRED} THEN 1 ELSE s.version + 1 END, "
    f"created_at = CASE WHEN {_EXPIRED} THEN excluded.created_at ELSE s.created_at END"
)
_CREATE = f"{_INSERT}version = 1, created_at = excluded.created_at WHERE {_EXPIRED}"
# The version and incarnation (``created_at``) an ETag names; NULL: any (If-Match: *).
_EXPECTED = (
    "version = COALESCE(:expected, version) AND created_at = COALESCE(:incarnation, created_at)"
)
# The check is part of the write: no race.
_REPLACE = (
    "UPDATE session_states SET state_data = :state, version = version + 1, updated_at = :now, "
    f"expires_at = :expires_at WHERE {_KEY} AND {_EXPECTED} AND {_LIVE}"
)
_HISTORY_COLUMNS = "(tenant, session_id, version, state_data, size_bytes, created_at)"
_HISTORY_UPSERT = (
    "ON CONFLICT (tenant, session_id, version) DO UPDATE SET state_data = excluded.state_data, "
    "size_bytes = excluded.size_bytes, created_at = excluded.created_at"
)
# Older than the last ``keep``, or left from a session that expired and started afresh.
_PRUNE = "(h.version <= {v} - :keep OR h.version > {v})"


# PATCH applied by the database, in the write (``state.patching.SqlPatch``): the new document
# and the condition for the database to apply it (else no row, and the service applies it).
# PostgreSQL: ``memory_api_json_merge_patch`` (migration 0012) keeps the json text's key order
# and compact form, as the service's own patching does; SQLite's json_patch is RFC 7396.
# PostgreSQL's append rebuilds the document in one pass over its members (json_each keeps
# their order and each value's text as stored; the member's array text gets the values);
# json_each yields a value's text without the whitespace around it, so it starts with "["
# and ends with "]".
_MEMBER = "CAST(:member AS text)"
_VALUE = "CAST(e.value AS text)"
_VALUES = "CAST(:values AS text)"
_EXTENDED = (
    f"CASE WHEN left(ltrim(substr({_VALUE}, 2, 64), E' \\t\\n\\r'), 1) = ']' THEN {_VALUES} "
    f"ELSE left({_VALUE}, -1) || ',' || substr({_VALUES}, 2) END"
)
_APPENDED = (
    "(SELECT CAST('{' || string_agg(to_json(e.key) || ':' || CASE WHEN e.key = "
    f"{_MEMBER} AND left({_VALUE}, 1) = '[' THEN {_EXTENDED} ELSE {_VALUE} END, ',' "
    "ORDER BY e.position) || '}' AS json) "
    "FROM json_each(state_data) WITH ORDINALITY AS e(key, value, position))"
)
_PATCHED = {
    "postgresql": {
        "merge": ("memory_api_json_merge_patch(state_data, CAST(:patch AS json))", "TRUE"),
        "append": (_APPENDED, f"json_typeof(state_data -> {_MEMBER}) = 'array'"),
    },
    "sqlite": {
        "merge": ("json_patch(state_data, :patch)", "1"),
        "append": (
            "json_set(state_data, :path, json(CASE WHEN json_array_length(state_data, :path) = 0 "
            "THEN :values ELSE substr(json_extract(state_data, :path), 1, "
            "length(json_extract(state_data, :path)) - 1) || ',' || substr(:values, 2) END))",
            "json_type(state_data, :path) = 'array'",
        ),
    },
}


@dataclass(frozen=True)
class Write:
    """A write and, where it also records the version in the history, how.

    PostgreSQL: ``with_history`` does all in one statement (data-modifying CTEs). SQLite has
    none: the write, ``record`` and ``prune`` run in one IMMEDIATE transaction instead.
    Patches applied by the database return the new document too (the row's last column).
    """

    alone: Statement
    with_history: Statement | None


@dataclass(frozen=True)
class StateStatements:
    """The statements of one dialect."""

    upsert: Write
    create: Write
    replace: Write
    #: PATCH in one statement, by ``SqlPatch`` kind ("merge", "append")
    patch: dict[str, Write]
    record: Statement
    prune: Statement
    get: Statement
    lock: Statement
    exists: Statement
    get_version: Statement
    history: Statement
    delete: Statement
    #: ``GET /sessions``, by (keyset, include_state): offset or keyset pages, with or
    #: without the (possibly large) state documents
    list: dict[tuple[bool, bool], Statement]
    sweep: Statement


def _write(sql: str, dialect: str, *, patched: bool = False) -> Write:
    """``patched``: the database made the document, so it returns it and measures its size."""
    returning = f"{_META}, CAST(state_data AS TEXT) AS state_json" if patched else _META
    if dialect != "postgresql":
        return Write(Statement(f"{sql} RETURNING {returning}"), None)
    size = "octet_length(CAST(state_data AS TEXT))" if patched else "CAST(:size AS INTEGER)"
    with_history = (
        f"WITH w AS ({sql} RETURNING {_META}, state_data), "
        f"r AS (INSERT INTO session_state_history AS h {_HISTORY_COLUMNS} "
        f"SELECT tenant, session_id, version, state_data, {size}, updated_at "
        f"FROM w {_HISTORY_UPSERT}), "
        "p AS (DELETE FROM session_state_history AS h USING w WHERE h.tenant = w.tenant "
        f"AND h.session_id = w.session_id AND {_PRUNE.format(v='w.version')}) "
        f"SELECT {returning} FROM w"
    )
    return Write(Statement(f"{sql} RETURNING {returning}"), Statement(with_history))


def patch_write(document: str, applies: str, dialect: str) -> Write:
    """The PATCH write of ``document`` (the new document's SQL) where ``applies`` holds; also
    how bench.state_statements times other texts of the same statement."""
    sql = (
        f"UPDATE session_states SET state_data = {document}, version = version + 1, "
        "updated_at = :now, expires_at = COALESCE(:expires_at, expires_at) "
        f"WHERE {_KEY} AND {_EXPECTED} AND {_LIVE} AND {applies}"
    )
    return _write(sql, dialect, patched=True)


def _list(*, keyset: bool, include_state: bool) -> Statement:
    columns = _ROW if include_state else _ROW.replace("CAST(state_data AS TEXT)", "'null'")
    # after the cursor: the order is (updated_at DESC, session_id ASC)
    after = (
        "AND (updated_at < :after_time OR (updated_at = :after_time AND session_id > :after_id)) "
        if keyset
        else ""
    )
    return Statement(
        f"SELECT {columns} FROM session_states WHERE tenant = :tenant AND {_LIVE} "
        f"AND substr(session_id, 1, :prefix_length) = :prefix {after}"
        f"ORDER BY updated_at DESC, session_id LIMIT :limit OFFSET :skip"
    )


def _statements(dialect: str) -> StateStatements:
    lock = " FOR UPDATE" if dialect == "postgresql" else ""
    skip_locked = " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
    joined = (
        "FROM session_state_history AS h JOIN session_states AS s ON s.tenant = h.tenant "
        "AND s.session_id = h.session_id WHERE h.tenant = :tenant "
        "AND h.session_id = :session_id AND (s.expires_at IS NULL OR s.expires_at > :now)"
    )
    return StateStatements(
        upsert=_write(_UPSERT, dialect),
        create=_write(_CREATE, dialect),
        replace=_write(_REPLACE, dialect),
        patch={
            kind: patch_write(document, applies, dialect)
            for kind, (document, applies) in _PATCHED[dialect].items()
        },
        record=Statement(
            f"INSERT INTO session_state_history AS h {_HISTORY_COLUMNS} VALUES (:tenant, "
            f":session_id, :version, :state, :size, :now) {_HISTORY_UPSERT}"
        ),
        prune=Statement(
            "DELETE FROM session_state_history AS h WHERE h.tenant = :tenant "
            f"AND h.session_id = :session_id AND {_PRUNE.format(v=':version')}"
        ),
        get=Statement(f"SELECT {_ROW} FROM session_states WHERE {_KEY} AND {_LIVE}"),
        lock=Statement(f"SELECT {_ROW} FROM session_states WHERE {_KEY} AND {_LIVE}{lock}"),
        exists=Statement(
            f"SELECT version, created_at FROM session_states WHERE {_KEY} AND {_LIVE}"
        ),
        get_version=Statement(
            "SELECT s.session_id, CAST(h.state_data AS TEXT) AS state_json, h.version, "
            f"s.created_at, h.created_at AS updated_at, s.expires_at {joined} "
            "AND h.version = :version"
        ),
        history=Statement(
            f"SELECT h.version, h.created_at, h.size_bytes {joined} "
            "AND h.version < :before ORDER BY h.version DESC LIMIT :limit"
        ),
        delete=Statement(
            f"DELETE FROM session_states WHERE {_KEY} AND {_EXPECTED} AND {_LIVE} RETURNING version"
        ),
        list={
            (keyset, include_state): _list(keyset=keyset, include_state=include_state)
            for keyset in (False, True)
            for include_state in (False, True)
        },
        # Bounded batches; SKIP LOCKED: several processes sweeping at once split the work
        # instead of waiting on (or deleting twice) each other's rows.
        sweep=Statement(
            "DELETE FROM session_states WHERE (tenant, session_id) IN (SELECT tenant, "
            "session_id FROM session_states WHERE expires_at <= :now ORDER BY expires_at "
            f"LIMIT :batch{skip_locked}) RETURNING 1"
        ),
    )


POSTGRESQL = _statements("postgresql")
SQLITE = _statements("sqlite")


def for_dialect(dialect: str) -> StateStatements:
    return POSTGRESQL if dialect == "postgresql" else SQLITE
