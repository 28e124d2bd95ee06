"""All SQL of the lexical index. One statement text for SQLite and PostgreSQL throughout."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    String,
    Table,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.documents.repository import chunks_table, documents_table
from memory_api.search.lexical.models import (
    LexicalChunk,
    LexicalPosting,
    LexicalRemoval,
    LexicalStats,
    LexicalTerm,
)

postings: Table = LexicalPosting.__table__  # type: ignore[assignment]
entries: Table = LexicalChunk.__table__  # type: ignore[assignment]
terms: Table = LexicalTerm.__table__  # type: ignore[assignment]
totals: Table = LexicalStats.__table__  # type: ignore[assignment]
removals: Table = LexicalRemoval.__table__  # type: ignore[assignment]
BATCH = 500  # values per IN list
REMOVALS_KEPT = 1000  # generations of removals logged: a list held from before is read again


def _batches(values: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    return (values[start : start + size] for start in range(0, len(values), size))


class LexicalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self) -> Any:
        dialect = self.session.get_bind().dialect.name
        return pg_insert if dialect == "postgresql" else sqlite_insert

    # --- writing -----------------------------------------------------------------------------
    async def insert(
        self, collection_id: int, lengths: Mapping[int, int], rows: Sequence[dict[str, Any]]
    ) -> None:
        """Chunk entries (key: length) and their postings (``term, chunk_id, tf, length,
        generation``)."""
        if lengths:
            await self.session.execute(
                entries.insert(),
                [
                    {"chunk_id": key, "collection_id": collection_id, "length": length}
                    for key, length in lengths.items()
                ],
            )
        if rows:
            await self.session.execute(
                postings.insert(), [{"collection_id": collection_id, **row} for row in rows]
            )

    async def add_frequencies(
        self, collection_id: int, counts: Mapping[str, int], version: int
    ) -> None:
        """Raise the document frequency of each term by its count (new terms start at it), and
        set its version: the generation of this write (``add_totals``)."""
        if not counts:
            return
        statement = self._insert()(terms)
        statement = statement.on_conflict_do_update(
            index_elements=[terms.c.collection_id, terms.c.term],
            set_={"df": terms.c.df + statement.excluded.df, "version": statement.excluded.version},
        )
        await self.session.execute(
            statement,
            [
                {"collection_id": collection_id, "term": t, "df": n, "version": version}
                for t, n in counts.items()
            ],
        )

    async def lower_frequencies(
        self, collection_id: int, counts: Mapping[str, int], version: int
    ) -> None:
        if not counts:
            return
        statement = (
            update(terms)
            .where(terms.c.collection_id == collection_id, terms.c.term == bindparam("t"))
            .values(df=terms.c.df - bindparam("n"), version=version)
        )
        await self.session.execute(statement, [{"t": t, "n": n} for t, n in counts.items()])
        for batch in _batches(sorted(counts)):
            await self.session.execute(
                delete(terms).where(
                    terms.c.collection_id == collection_id, terms.c.term.in_(batch), terms.c.df <= 0
                )
            )

    async def add_totals(self, collection_id: int, chunks: int, length: int) -> int:
        """Add to (or, with negative figures, take from) the collection's totals and raise its
        generation; returns the generation of this write."""
        first = time.time_ns()
        statement = self._insert()(totals).values(
            collection_id=collection_id,
            chunks=chunks,
            total_length=length,
            generation=first,
            removals_from=first,  # nothing removed before the first write
        )
        statement = statement.on_conflict_do_update(
            index_elements=[totals.c.collection_id],
            set_={
                "chunks": totals.c.chunks + statement.excluded.chunks,
                "total_length": totals.c.total_length + statement.excluded.total_length,
                "generation": totals.c.generation + 1,
            },
        )
        return int(await self.session.scalar(statement.returning(totals.c.generation)))

    async def log_removals(self, collection_id: int, keys: Sequence[int], generation: int) -> None:
        """Log the chunks this write (``generation``) removed; forget those removed more than
        ``REMOVALS_KEPT`` generations ago (the log is then complete above that)."""
        if keys:
            await self.session.execute(
                removals.insert(),
                [
                    {"collection_id": collection_id, "generation": generation, "chunk_id": key}
                    for key in sorted(set(keys))
                ],
            )
        floor = generation - REMOVALS_KEPT
        await self.session.execute(
            delete(removals).where(
                removals.c.collection_id == collection_id, removals.c.generation <= floor
            )
        )
        await self.session.execute(
            update(totals)
            .where(totals.c.collection_id == collection_id, totals.c.removals_from < floor)
            .values(removals_from=floor)
        )

    async def postings_of(self, chunk_ids: Sequence[int]) -> list[tuple[int, str, int]]:
        """``(chunk key, term, tf)`` of these chunks, whatever their collection."""
        found: list[tuple[int, str, int]] = []
        for batch in _batches(sorted(set(chunk_ids))):
            rows = await self.session.execute(
                select(postings.c.chunk_id, postings.c.term, postings.c.tf).where(
                    postings.c.chunk_id.in_(batch)
                )
            )
            found += [(key, term, tf) for key, term, tf in rows]
        return found

    async def entries_of(self, chunk_ids: Sequence[int]) -> dict[int, int]:
        """The length of each of these chunks that has an entry."""
        found: dict[int, int] = {}
        for batch in _batches(sorted(set(chunk_ids))):
            rows = await self.session.execute(
                select(entries.c.chunk_id, entries.c.length).where(entries.c.chunk_id.in_(batch))
            )
            found.update({key: length for key, length in rows})
        return found

    async def delete(self, chunk_ids: Sequence[int]) -> None:
        for batch in _batches(sorted(set(chunk_ids))):
            await self.session.execute(delete(postings).where(postings.c.chunk_id.in_(batch)))
            await self.session.execute(delete(entries).where(entries.c.chunk_id.in_(batch)))

    async def purge(self, collection_id: int) -> None:
        """Everything the index holds of a (deleted) collection: postings, entries,
        frequencies, totals. Lexical rows reference their collection, not their chunks, so
        they go here, with the documents, not when the registry row goes."""
        for table in (postings, entries, terms, totals, removals):
            await self.session.execute(delete(table).where(table.c.collection_id == collection_id))

    # --- searching ---------------------------------------------------------------------------
    async def totals(self, collection_id: int) -> tuple[int, int]:
        """``(chunks, total length)`` of the collection's index."""
        row = (
            await self.session.execute(
                select(totals.c.chunks, totals.c.total_length).where(
                    totals.c.collection_id == collection_id
                )
            )
        ).first()
        return (row[0], row[1]) if row else (0, 0)

    async def statistics(
        self, collection_id: int, query: Sequence[str]
    ) -> tuple[tuple[int, int, int], dict[str, tuple[int, int]]]:
        """The collection's totals (chunks, total length, ``removals_from``) and the frequency
        and version of each query term it holds, in one round trip (the totals ride along on
        each term's row)."""
        kept = totals.c.collection_id == collection_id
        figures = (totals.c.chunks, totals.c.total_length, totals.c.removals_from)
        rows = (
            await self.session.execute(
                select(
                    terms.c.term,
                    terms.c.df,
                    terms.c.version,
                    *(select(column).where(kept).scalar_subquery() for column in figures),
                ).where(terms.c.collection_id == collection_id, terms.c.term.in_(list(query)))
            )
        ).all()
        if not rows:
            return (0, 0, 0), {}
        first = rows[0]
        return (first[3] or 0, first[4] or 0, first[5] or 0), {
            row[0]: (row[1], row[2]) for row in rows
        }

    async def postings_by_term(
        self, collection_id: int, wanted: Sequence[str], since: int | None = None
    ) -> dict[str, NDArray[np.int64]]:
        """Every posting of these terms (``since``: those added by a later generation), as rows
        of ``(chunk key, tf, length)``, by term, read from the term index alone. Each term's
        postings come as one string of numbers, which both databases build and numpy parses
        faster than rows (a common term has tens of thousands)."""
        found = {term: np.zeros((0, 3), dtype=np.int64) for term in wanted}
        if not wanted:
            return found
        comma = literal(",")
        packed = func.aggregate_strings(
            cast(postings.c.chunk_id, String)
            + comma
            + cast(postings.c.tf, String)
            + comma
            + cast(postings.c.length, String),
            ",",
        )
        condition: ColumnElement[bool] = postings.c.term.in_(list(wanted))
        if since is not None:
            condition &= postings.c.generation > since
        rows = await self.session.execute(
            select(postings.c.term, packed)
            .where(postings.c.collection_id == collection_id, condition)
            .group_by(postings.c.term)
        )
        for term, numbers in rows:
            found[term] = np.fromstring(numbers, dtype=np.int64, sep=",").reshape(-1, 3)
        return found

    async def common_terms(self, min_df: int) -> list[tuple[int, str, int, int]]:
        """``(collection, term, df, version)`` of every term held by more than ``min_df``
        chunks of its collection, the most common first."""
        rows = await self.session.execute(
            select(terms.c.collection_id, terms.c.term, terms.c.df, terms.c.version)
            .where(terms.c.df > min_df)
            .order_by(terms.c.df.desc(), terms.c.collection_id, terms.c.term)
        )
        return [(collection, term, df, version) for collection, term, df, version in rows]

    async def removed_since(self, collection_id: int, since: int) -> NDArray[np.int64]:
        """Keys of the chunks removed by the generations after ``since`` (complete only above
        the collection's ``removals_from``)."""
        keys = await self.session.scalars(
            select(removals.c.chunk_id).where(
                removals.c.collection_id == collection_id, removals.c.generation > since
            )
        )
        return np.array(sorted(set(keys)), dtype=np.int64)

    async def score(
        self,
        collection_id: int,
        weights: Mapping[str, float],
        saturation: tuple[float, float, float],
        limit: int,
        where: ColumnElement[bool] | None,
    ) -> list[tuple[int, float, set[str]]]:
        """The ``limit`` best chunks by ``sum(w(t) * tf * s0 / (tf + s1 + s2 * length))`` over
        every posting of the terms of ``weights`` (BM25 with its constants folded in), among
        those that pass ``where``, ties by key; with the terms each holds (terms never contain
        a space)."""
        s0, s1, s2 = (bindparam(f"s{i}", value, type_=Float) for i, value in enumerate(saturation))
        read = (
            select(postings.c.chunk_id, postings.c.term, postings.c.tf, postings.c.length)
            .where(postings.c.collection_id == collection_id, postings.c.term.in_(list(weights)))
            .subquery()
        )
        weight = case(
            {
                term: bindparam(f"w{i}", value, type_=Float)
                for i, (term, value) in enumerate(weights.items())
            },
            value=read.c.term,
            else_=0.0,
        )
        tf = read.c.tf
        score = func.sum(weight * tf * s0 / (tf + s1 + s2 * read.c.length)).label("score")
        held = func.aggregate_strings(read.c.term, " ")
        query = select(read.c.chunk_id, score, held)
        if where is not None:
            query = (
                query.join(chunks_table, chunks_table.c.id == read.c.chunk_id)
                .join(documents_table, documents_table.c.id == chunks_table.c.document_id)
                .where(where)
            )
        query = query.group_by(read.c.chunk_id).order_by(score.desc(), read.c.chunk_id).limit(limit)
        rows = await self.session.execute(query)
        return [(key, float(value), set(terms_held.split(" "))) for key, value, terms_held in rows]

    # --- checking ----------------------------------------------------------------------------
    async def indexed_keys(self, collection_id: int) -> set[int]:
        """Keys of every chunk the collection's index holds anything of."""
        found = set(
            await self.session.scalars(
                select(entries.c.chunk_id).where(entries.c.collection_id == collection_id)
            )
        )
        found.update(
            await self.session.scalars(
                select(postings.c.chunk_id)
                .distinct()
                .where(postings.c.collection_id == collection_id)
            )
        )
        return found

    def _recount(self, collection_id: int) -> Any:
        return (
            select(postings.c.term, func.count().label("df"))
            .where(postings.c.collection_id == collection_id)
            .group_by(postings.c.term)
        )

    async def wrong_frequencies(self, collection_id: int) -> int:
        """Terms whose stored frequency differs from a count of the postings, plus one if the
        totals differ from the chunk entries."""
        rows = await self.session.execute(
            select(terms.c.term, terms.c.df).where(terms.c.collection_id == collection_id)
        )
        stored: dict[str, int] = {term: df for term, df in rows}
        rows = await self.session.execute(self._recount(collection_id))
        counted: dict[str, int] = {term: df for term, df in rows}
        wrong = sum(
            1 for term in stored.keys() | counted.keys() if stored.get(term) != counted.get(term)
        )
        row = (
            await self.session.execute(
                select(func.count(), func.coalesce(func.sum(entries.c.length), 0)).where(
                    entries.c.collection_id == collection_id
                )
            )
        ).one()
        kept = await self.totals(collection_id)
        return wrong + (0 if kept == (row[0], int(row[1])) else 1)

    async def rebuild_frequencies(self, collection_id: int) -> None:
        """Frequencies and totals recounted from the postings and chunk entries, every term at
        the next generation, the removal log emptied: whatever a process holds in memory is
        read again."""
        generation = await self.session.scalar(
            select(totals.c.generation).where(totals.c.collection_id == collection_id)
        )
        generation = generation + 1 if generation is not None else time.time_ns()
        for table in (terms, totals, removals):
            await self.session.execute(delete(table).where(table.c.collection_id == collection_id))
        recount = self._recount(collection_id).subquery()
        await self.session.execute(
            terms.insert().from_select(
                ["collection_id", "term", "df", "version"],
                select(
                    bindparam("c", collection_id),
                    recount.c.term,
                    recount.c.df,
                    bindparam("g", generation, type_=BigInteger),
                ),
            )
        )
        count, length = (
            await self.session.execute(
                select(func.count(), func.coalesce(func.sum(entries.c.length), 0)).where(
                    entries.c.collection_id == collection_id
                )
            )
        ).one()
        await self.session.execute(
            totals.insert().values(
                collection_id=collection_id,
                chunks=count,
                total_length=length,
                generation=generation,
                removals_from=generation,
            )
        )
