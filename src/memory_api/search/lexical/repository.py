"""All SQL of the lexical index. One statement text for SQLite and PostgreSQL throughout."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Table,
    bindparam,
    case,
    delete,
    func,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.documents.repository import chunks_table, documents_table
from memory_api.search.lexical.models import (
    LexicalChunk,
    LexicalPosting,
    LexicalStats,
    LexicalTerm,
)

postings: Table = LexicalPosting.__table__  # type: ignore[assignment]
entries: Table = LexicalChunk.__table__  # type: ignore[assignment]
terms: Table = LexicalTerm.__table__  # type: ignore[assignment]
totals: Table = LexicalStats.__table__  # type: ignore[assignment]
BATCH = 500  # values per IN list


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
        impact``)."""
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

    async def add_frequencies(self, collection_id: int, counts: Mapping[str, int]) -> None:
        """Raise the document frequency of each term by its count (new terms start at it)."""
        if not counts:
            return
        statement = self._insert()(terms)
        statement = statement.on_conflict_do_update(
            index_elements=[terms.c.collection_id, terms.c.term],
            set_={"df": terms.c.df + statement.excluded.df},
        )
        await self.session.execute(
            statement,
            [{"collection_id": collection_id, "term": t, "df": n} for t, n in counts.items()],
        )

    async def lower_frequencies(self, collection_id: int, counts: Mapping[str, int]) -> None:
        if not counts:
            return
        statement = (
            update(terms)
            .where(terms.c.collection_id == collection_id, terms.c.term == bindparam("t"))
            .values(df=terms.c.df - bindparam("n"))
        )
        await self.session.execute(statement, [{"t": t, "n": n} for t, n in counts.items()])
        for batch in _batches(sorted(counts)):
            await self.session.execute(
                delete(terms).where(
                    terms.c.collection_id == collection_id, terms.c.term.in_(batch), terms.c.df <= 0
                )
            )

    async def add_totals(
        self, collection_id: int, chunks: int, length: int, reference_length: float = 1.0
    ) -> float:
        """Add to (or, with negative figures, take from) the collection's totals; returns the
        collection's reference length (``reference_length`` if this is its first write)."""
        statement = self._insert()(totals).values(
            collection_id=collection_id,
            chunks=chunks,
            total_length=length,
            reference_length=reference_length,
        )
        statement = statement.on_conflict_do_update(
            index_elements=[totals.c.collection_id],
            set_={
                "chunks": totals.c.chunks + statement.excluded.chunks,
                "total_length": totals.c.total_length + statement.excluded.total_length,
                "reference_length": func.coalesce(
                    totals.c.reference_length, statement.excluded.reference_length
                ),
            },
        )
        kept = await self.session.scalar(statement.returning(totals.c.reference_length))
        return float(kept) if kept is not None else reference_length

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
        for table in (postings, entries, terms, totals):
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
    ) -> tuple[tuple[int, int], dict[str, int]]:
        """The collection's totals and the frequency of each query term it holds, in one
        round trip (the totals ride along on each term's row)."""
        kept = totals.c.collection_id == collection_id
        rows = (
            await self.session.execute(
                select(
                    terms.c.term,
                    terms.c.df,
                    select(totals.c.chunks).where(kept).scalar_subquery(),
                    select(totals.c.total_length).where(kept).scalar_subquery(),
                ).where(terms.c.collection_id == collection_id, terms.c.term.in_(list(query)))
            )
        ).all()
        if not rows:
            return (0, 0), {}
        return (rows[0][2] or 0, rows[0][3] or 0), {row[0]: row[1] for row in rows}

    async def score(
        self,
        collection_id: int,
        weights: Mapping[str, float],
        saturation: tuple[float, float, float],
        limit: int,
        where: ColumnElement[bool] | None,
        capped: Mapping[str, int] | None = None,
    ) -> list[tuple[int, float, set[str]]]:
        """The ``limit`` best chunks by ``sum(w(t) * tf * s0 / (tf + s1 + s2 * length))`` over
        the terms of ``weights`` (BM25 with its constants folded in), ties by key; with the
        terms each holds (terms never contain a space). ``capped``: terms of which only that
        many postings are read, the best by impact (ties to the newest chunk), plus their
        postings in the chunks that hold one of the other terms: a chunk holding a rarer term
        is scored exactly, a chunk of capped terms only counts what those best postings hold.

        The lookups are pruned, MaxScore-style, without changing the result: a chunk holding
        a rarer term is looked up only if its score over those terms, plus the most the capped
        terms can add (``w(t) * s0`` each: a term's tf part is under 1), reaches the
        ``limit``-th best of those scores (every chunk scores at least that, so the
        ``limit``-th result does too, and a chunk below it cannot enter)."""
        s0, s1, s2 = (bindparam(f"s{i}", value, type_=Float) for i, value in enumerate(saturation))
        capped = capped or {}
        whole = [term for term in weights if term not in capped]
        columns = (postings.c.chunk_id, postings.c.term, postings.c.tf, postings.c.length)
        kept = postings.c.collection_id == collection_id

        def scored(read: Any) -> tuple[Any, Any]:
            weight = case(
                {
                    term: bindparam(f"w{i}", value, type_=Float)
                    for i, (term, value) in enumerate(weights.items())
                },
                value=read.c.term,
                else_=0.0,
            )
            tf = read.c.tf
            return weight * tf * s0 / (tf + s1 + s2 * read.c.length), read.c.term

        exact: Any = select(*columns).where(kept, postings.c.term.in_(whole)) if whole else None
        parts: list[Any] = []
        for i, (term, count) in enumerate(capped.items()):
            best = (
                select(*columns)
                .where(kept, postings.c.term == bindparam(f"t{i}", term))
                .order_by(postings.c.impact.desc(), postings.c.chunk_id.desc())  # the index's order
                .limit(count)
                .subquery()
            )
            parts.append(select(*best.c))  # a subquery: SQLite takes no LIMIT in a UNION member
        if exact is not None and parts:
            exact = exact.cte("exact")
            value, term = scored(exact)
            partial = (
                select(
                    exact.c.chunk_id,
                    func.sum(value).label("score"),
                    func.aggregate_strings(term, " ").label("held"),
                )
                .group_by(exact.c.chunk_id)
                .cte("partial")
            )
            most = sum(weights[term] for term in capped) * saturation[0]
            keys = self._candidates(partial, limit, most)
            parts.append(self._capped_postings_of(keys, list(capped), collection_id))
            capped_part = union(*parts).subquery()  # union: no posting twice
            value, term = scored(capped_part)
            both = union_all(
                select(partial.c.chunk_id, partial.c.score, partial.c.held),
                select(capped_part.c.chunk_id, value.label("score"), term.label("held")),
            ).cte("both")
        else:
            union_of: Any = exact if exact is not None else union_all(*parts)
            read = union_of.subquery()
            value, term = scored(read)
            both = select(read.c.chunk_id, value.label("score"), term.label("held")).cte("both")
        score = func.sum(both.c.score).label("score")
        ranked = select(both.c.chunk_id, score)
        if where is not None:
            ranked = (
                ranked.join(chunks_table, chunks_table.c.id == both.c.chunk_id)
                .join(documents_table, documents_table.c.id == chunks_table.c.document_id)
                .where(where)
            )
        best = (
            ranked.group_by(both.c.chunk_id)
            .order_by(score.desc(), both.c.chunk_id)
            .limit(limit)
            .subquery("ranked")
        )
        # the terms each holds, gathered for the ranked chunks only: strings are dear to
        # aggregate over every chunk read
        held = func.aggregate_strings(both.c.held, " ")
        query = (
            select(best.c.chunk_id, best.c.score, held)
            .join(both, both.c.chunk_id == best.c.chunk_id)
            .group_by(best.c.chunk_id, best.c.score)
            .order_by(best.c.score.desc(), best.c.chunk_id)
        )
        rows = await self.session.execute(query)
        return [(key, float(value), set(terms_held.split(" "))) for key, value, terms_held in rows]

    @staticmethod
    def _candidates(partial: Any, limit: int, most: float) -> Any:
        """Keys of the chunks of ``partial`` (scored over the terms read whole) whose score plus
        ``most`` reaches the ``limit``-th best score there (all of them if there are fewer).
        ``most`` is raised by a hair so that rounding never prunes a chunk that ties."""
        threshold = (
            select(partial.c.score)
            .order_by(partial.c.score.desc())
            .limit(1)
            .offset(limit - 1)
            .scalar_subquery()
        )
        margin = bindparam("most", most * (1 + 1e-9) + 1e-9, type_=Float)
        return (
            select(partial.c.chunk_id)
            .where(partial.c.score + margin >= func.coalesce(threshold, 0.0))
            .cte("keys")
        )

    def _capped_postings_of(self, keys: Any, capped: list[str], collection_id: int) -> Any:
        """The capped terms' postings in the chunks of ``keys`` (distinct): on SQLite looked up
        key by key in the by-chunk index (chunk, term, tf, length), which answers alone (chunk
        keys are unique across collections); on PostgreSQL a join that the planner runs as
        such lookups for few keys or as a hash join over the terms' lists, read through the
        impact index (hence the collection condition), for many."""
        probe = postings.alias("probe")
        found = probe.c.term.in_(capped)
        if self.session.get_bind().dialect.name == "postgresql":
            return (
                select(keys.c.chunk_id, probe.c.term, probe.c.tf, probe.c.length)
                .select_from(keys.join(probe, probe.c.chunk_id == keys.c.chunk_id))
                .where(found, probe.c.collection_id == collection_id)
            )
        return select(probe.c.chunk_id, probe.c.term, probe.c.tf, probe.c.length).where(
            found, probe.c.chunk_id.in_(select(keys.c.chunk_id))
        )

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

    async def rebuild_frequencies(self, collection_id: int, impact: tuple[float, float]) -> None:
        """Frequencies and totals recounted from the postings and chunk entries; the reference
        length kept (the average length if there was none) and every posting's impact
        recomputed with it: ``tf / (tf + i0 + i1 * length / reference)``."""
        reference = await self.session.scalar(
            select(totals.c.reference_length).where(totals.c.collection_id == collection_id)
        )
        await self.session.execute(delete(terms).where(terms.c.collection_id == collection_id))
        await self.session.execute(delete(totals).where(totals.c.collection_id == collection_id))
        recount = self._recount(collection_id).subquery()
        await self.session.execute(
            terms.insert().from_select(
                ["collection_id", "term", "df"],
                select(bindparam("c", collection_id), recount.c.term, recount.c.df),
            )
        )
        count, length = (
            await self.session.execute(
                select(func.count(), func.coalesce(func.sum(entries.c.length), 0)).where(
                    entries.c.collection_id == collection_id
                )
            )
        ).one()
        if reference is None:
            reference = length / count if count and length else 1.0
        await self.session.execute(
            totals.insert().values(
                collection_id=collection_id,
                chunks=count,
                total_length=length,
                reference_length=reference,
            )
        )
        i0, i1 = (bindparam(f"i{n}", value, type_=Float) for n, value in enumerate(impact))
        tf = postings.c.tf
        await self.session.execute(
            update(postings)
            .where(postings.c.collection_id == collection_id)
            .values(impact=tf / (tf + i0 + i1 * postings.c.length / reference))
        )
