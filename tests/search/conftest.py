"""The same records in an embedded Chroma collection and in a SQL table, to compare matches.

The table has the shape the chunks will have: typed columns for the reserved fields and a JSON
object column (JSONB on PostgreSQL, written by the service's engine) for every other field. Chroma
holds every field, reserved ones included, as metadata. Tests are synchronous (hypothesis drives
them), so the async engine runs on an ``asyncio.Runner`` of the test's own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings
from sqlalchemy import Column, ColumnElement, MetaData, String, Table, not_, null, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeEngine

from memory_api.db.columns import JSONDocument
from memory_api.db.engine import create_engine
from memory_api.search.filters import FieldMap, Filter, to_sql
from memory_api.settings import Settings

Record = tuple[str, dict[str, Any]]  # id, every field (the typed columns' ones included)


@dataclass
class World:
    runner: asyncio.Runner
    engine: AsyncEngine
    table: Table
    fields: FieldMap
    collection: Any

    def chroma_ids(self, where: dict[str, Any]) -> set[str]:
        return set(self.collection.get(where=where, include=[])["ids"])

    def _run(self, statement: Any) -> list[Any]:
        async def work() -> list[Any]:
            async with self.engine.connect() as connection:
                return list(await connection.execute(statement))

        return self.runner.run(work())

    def condition(self, tree: Filter) -> ColumnElement[bool]:
        return to_sql(tree, self.fields)

    def sql_ids(self, tree: Filter, *, negated: bool = False) -> set[str]:
        condition = self.condition(tree)
        where = not_(condition) if negated else condition
        return {row[0] for row in self._run(select(self.table.c.id).where(where))}

    def sql_values(self, tree: Filter) -> dict[str, bool | None]:
        """The condition's value on every row (NULL would break a negation)."""
        value = self.condition(tree).label("value")
        return {row[0]: row[1] for row in self._run(select(self.table.c.id, value))}


def _build(
    tmp_path: Path,
    database_url: str | None,
    records: list[Record],
    typed: Mapping[str, type[TypeEngine[Any]]],
) -> Iterator[World]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "data", database_url=database_url
    )
    table = Table(
        f"filter_records_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("id", String(32), primary_key=True),
        Column("metadata", JSONDocument, nullable=True),
        *(Column(name, kind, nullable=True) for name, kind in typed.items()),
    )
    rows = [
        {
            "id": id_,
            "metadata": {k: v for k, v in fields.items() if k not in typed} or null(),
            **{name: fields.get(name) for name in typed},
        }
        for id_, fields in records
    ]
    client = chromadb.PersistentClient(
        path=str(tmp_path / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.create_collection("filters", embedding_function=None)
    vectors = np.random.default_rng(0).random((len(records), 4), dtype=np.float32)
    collection.add(
        ids=[id_ for id_, _ in records],
        embeddings=vectors,
        metadatas=[fields or None for _, fields in records],
    )
    with asyncio.Runner() as runner:
        engine = create_engine(settings)

        async def create() -> None:
            async with engine.begin() as connection:
                await connection.run_sync(table.metadata.create_all)
                await connection.execute(table.insert(), rows)

        async def drop() -> None:
            async with engine.begin() as connection:
                await connection.run_sync(table.metadata.drop_all)
            await engine.dispose()

        runner.run(create())
        dialect = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
        columns = {name: table.c[name] for name in typed}
        try:
            yield World(
                runner, engine, table, FieldMap(dialect, table.c.metadata, columns), collection
            )
        finally:
            runner.run(drop())


@pytest.fixture
def world_factory(tmp_path: Path, database_url: str | None) -> Iterator[Callable[..., World]]:
    """``world_factory(records, typed)``: those records in Chroma and in the backend's database,
    the fields named in ``typed`` (name: SQLAlchemy type) in columns of their own."""
    built: list[Iterator[World]] = []

    def build(records: list[Record], typed: Mapping[str, type[TypeEngine[Any]]]) -> World:
        generator = _build(tmp_path / f"w{len(built)}", database_url, records, typed)
        built.append(generator)
        return next(generator)

    yield build
    for generator in built:
        next(generator, None)
