"""`upgrade head` yields exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from memory_api.db.migrate import alembic_config, upgrade
from memory_api.db.models import Base
from memory_api.settings import Settings


def _diff(url: str) -> tuple[list[object], set[str]]:
    async def run() -> tuple[list[object], set[str]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:

                def compare(sync_connection: object) -> tuple[list[object], set[str]]:
                    context = MigrationContext.configure(
                        sync_connection,  # type: ignore[arg-type]
                        opts={"compare_type": True},
                    )
                    tables = set(inspect(sync_connection).get_table_names())  # type: ignore[arg-type]
                    return compare_metadata(context, Base.metadata), tables

                return await connection.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _fresh_settings(backend: str, tmp_path: Path, postgres_url: str | None) -> Settings:
    if backend == "sqlite":
        return Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    return Settings(_env_file=None, database_url=postgres_url)  # type: ignore[call-arg]


@pytest.fixture
def migrated_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    postgres_url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    settings = _fresh_settings(backend, tmp_path, postgres_url)
    upgrade(settings)
    return settings.resolved_database_url


def test_upgrade_head_matches_models(migrated_url: str) -> None:
    diff, tables = _diff(migrated_url)
    assert diff == []
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_upgrade_is_idempotent(migrated_url: str, backend: str, tmp_path: Path) -> None:
    command.upgrade(alembic_config(migrated_url), "head")
    assert _diff(migrated_url)[0] == []


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    upgrade(settings)
    config = alembic_config(settings.resolved_database_url)
    command.downgrade(config, "base")
    assert _diff(settings.resolved_database_url)[1] == {"alembic_version"}
    command.upgrade(config, "head")
    assert _diff(settings.resolved_database_url)[0] == []


def test_lexical_impacts_are_filled_in_from_tf_and_length(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """0011 gave the postings written before it their impact (BM25's tf part at the
    collection's average length, which becomes its reference length)."""
    empty = request.getfixturevalue("empty_postgres_url") if backend == "postgres" else None
    settings = _fresh_settings(backend, tmp_path, empty)
    upgrade(settings, "0010")
    rows = [("carolin", 1, 1, 4), ("zebra", 1, 2, 4), ("carolin", 2, 1, 12)]

    async def run(*statements: str) -> list[tuple[object, ...]]:
        engine = create_async_engine(settings.resolved_database_url)
        try:
            async with engine.begin() as connection:
                found: list[tuple[object, ...]] = []
                for statement in statements:
                    result = await connection.execute(text(statement))
                    if result.returns_rows:
                        found = [tuple(row) for row in result]
                return found
        finally:
            await engine.dispose()

    asyncio.run(
        run(
            "INSERT INTO collections (id, tenant, name, embedding_model, vector_collection, "
            "metadata_json, created_at) VALUES (1, 'default', 'c', 'm', 'v', '{}', "
            "CURRENT_TIMESTAMP)",
            "INSERT INTO lexical_stats (collection_id, chunks, total_length) VALUES (1, 2, 16)",
            *(
                "INSERT INTO lexical_postings (collection_id, term, chunk_id, tf, length) "
                f"VALUES (1, '{term}', {key}, {tf}, {length})"
                for term, key, tf, length in rows
            ),
        )
    )
    upgrade(settings, "0011")
    found = asyncio.run(
        run("SELECT term, chunk_id, impact FROM lexical_postings ORDER BY term, chunk_id")
    )
    assert asyncio.run(run("SELECT reference_length FROM lexical_stats")) == [(8.0,)]

    def impact(tf: int, length: int, reference: float) -> float:  # k1 = 1.2, b = 0.75
        return tf / (tf + 1.2 * (1 - 0.75 + 0.75 * length / reference))

    expected = sorted((term, key, impact(tf, length, 8.0)) for term, key, tf, length in rows)
    assert [row[:2] for row in found] == [row[:2] for row in expected]
    assert [row[2] for row in found] == pytest.approx([row[2] for row in expected])
