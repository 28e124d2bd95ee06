"""Apply the Alembic migrations shipped inside the package, and tell where a database stands."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from memory_api.db.errors import translate_connect_errors
from memory_api.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it serialises concurrent `memory-api migrate` runs on PostgreSQL.
ADVISORY_LOCK_KEY = 0x6D656D6F
# config.attributes key: a callable env.py hands to Alembic, told of every revision applied.
ON_APPLY = "memory_api_on_version_apply"


@dataclass(frozen=True)
class Revision:
    id: str
    title: str  # the first line of the revision's docstring

    def __str__(self) -> str:
        return f"{self.id} ({self.title})"


def alembic_config(database_url: str) -> Config:
    """A config that needs no alembic.ini, so migrations work from an installed wheel."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(settings: Settings, revision: str = "head") -> list[Revision]:
    """Bring the schema to ``revision`` (blocking; call it before the event loop starts) and
    return the revisions applied, oldest first: none when it was already there."""
    if settings.resolved_database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    config = alembic_config(settings.resolved_database_url)
    applied: list[Revision] = []

    def on_apply(*, step: Any, **_: Any) -> None:
        # Called inside the migration transaction (under the advisory lock on PostgreSQL), so
        # of two concurrent runs only the one that applied a revision reports it.
        if step.is_upgrade:
            script = step.up_revision
            applied.append(Revision(script.revision, _title(script.doc)))

    config.attributes[ON_APPLY] = on_apply
    command.upgrade(config, revision)
    return applied


def _title(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if (doc or "").strip() else ""


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def schema_problem(settings: Settings) -> str | None:
    """Why the database cannot be used as it is (missing, not migrated, at another revision),
    or None. Reads only: a missing SQLite file is not created. DatabaseUnavailable when the
    server cannot be reached."""
    url = settings.resolved_database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        where = parsed.database or ":memory:"
        if where != ":memory:" and not Path(where).is_file():
            return f"no database at {where}: run `memory-api migrate` first"
    else:
        where = f"{parsed.host}:{parsed.port or 5432}/{parsed.database}"
    current = asyncio.run(_current_revisions(url))
    wanted = head_revisions()
    if current == wanted:
        return None
    if not current:
        return f"the database {where} has no schema yet: run `memory-api migrate` first"
    known = {script.revision for script in _scripts()}
    if current - known:
        return (
            f"the database {where} is at revision {', '.join(sorted(current))}, which this "
            "version of memory-api does not know (a newer one migrated it)"
        )
    return (
        f"the database {where} is at revision {', '.join(sorted(current))}, this version needs "
        f"{', '.join(sorted(wanted))}: run `memory-api migrate`"
    )


def _scripts() -> list[Any]:
    return list(ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions())


async def _current_revisions(url: str) -> set[str]:
    engine = create_async_engine(url, poolclass=pool.NullPool)

    def current(sync_connection: Connection) -> set[str]:
        return set(MigrationContext.configure(sync_connection).get_current_heads())

    try:
        with translate_connect_errors():  # reading the version table is part of connecting
            async with engine.connect() as connection:
                return await connection.run_sync(current)
    finally:
        await engine.dispose()
