"""The ``reembed`` job: every vector of a collection rebuilt with the configured model, from
the chunk text in the database, into a new vector collection; then one registry update swaps
it in (vector collection, model, dimension) and the old vectors are dropped.

Resumable: the target's name is in the job's params, so a retried run (after a crash) finds
the vectors it made already and embeds only the rest. The swap happens under the collection's
write lock after a last catch-up pass, so a document written during the rebuild (with the
same model) is not left without its vector; writers re-read the vector collection under that
lock (``DocumentWriter.write``), so none writes into the old one after the swap.
"""

from __future__ import annotations

import numpy as np

from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.collections.service import CollectionNotFound
from memory_api.components import Components
from memory_api.documents.repository import DocumentRepository
from memory_api.jobs.handlers import JobCancelled, JobHandlers, JobOutcome, Report
from memory_api.jobs.models import Job

REEMBED = "reembed"
#: texts embedded (and upserted) per step: progress and cancellation points
BATCH = 256


class Reembedding:
    def __init__(self, components: Components) -> None:
        self.components = components

    async def __call__(self, job: Job, report: Report) -> JobOutcome:
        components = self.components
        source, target = job.params["source"], job.params["target"]
        collection = await self._collection(job)
        embedder = components.embedder
        await embedder.ready()
        if collection.vector_collection == target:  # swapped before a crash: clean up only
            await components.vectors.delete_collection(source)
            return JobOutcome({"embedded": 0, "swapped": True}, "Re-embedded (finished earlier)")
        await components.vectors.ensure_collection(
            target, model=embedder.name, dimension=embedder.dimension
        )
        async with components.database.reading() as session:
            hashes = await DocumentRepository(session).all_hashes(collection.id)
        done = await components.vectors.ids(target)  # a previous run's work
        todo = sorted(hashes - done)
        total, embedded = len(hashes), 0
        try:
            for start in range(0, len(todo), BATCH):
                report(
                    min(95, 95 * (total - len(todo) + start) // max(total, 1)),
                    f"{total - len(todo) + start}/{total} vectors rebuilt with {embedder.name}",
                )
                embedded += await self._embed(collection.id, todo[start : start + BATCH], target)
            report(95, f"{total}/{total} vectors rebuilt; swapping")
            caught_up = await self._swap(collection, source, target)
        except (JobCancelled, CollectionNotFound):
            # Never swapped in, and no run will resume it: the partial rebuild goes.
            await components.vectors.delete_collection(target)
            raise
        await components.vectors.delete_collection(source)
        result = {
            "vectors": total,
            "embedded": embedded + caught_up,
            "resumed_with": len(done & hashes),
            "embedding_model": embedder.name,
            "embedding_dimension": embedder.dimension,
            "swapped": True,
        }
        details = (
            f"Re-embedded {total} vectors with {embedder.name} ({embedder.dimension} dimensions)"
        )
        return JobOutcome(result, details)

    async def _collection(self, job: Job) -> CollectionRecord:
        async with self.components.database.reading() as session:
            found = None
            if job.collection_id is not None:
                found = await CollectionRepository(session).get_by_id(job.collection_id)
        if found is None:
            raise CollectionNotFound(f"Collection '{job.collection}' was deleted")
        return found

    async def _embed(self, collection_id: int, hashes: list[str], target: str) -> int:
        """Embed the texts of ``hashes`` (those still in the collection) into ``target``."""
        if not hashes:
            return 0
        async with self.components.database.reading() as session:
            texts = await DocumentRepository(session).texts_of(collection_id, hashes)
        if not texts:
            return 0
        vectors = await self.components.embedder.embed_documents(list(texts.values()))
        await self.components.vectors.upsert(target, list(texts), np.asarray(vectors))
        return len(texts)

    async def _swap(self, collection: CollectionRecord, source: str, target: str) -> int:
        """Under the write lock: embed what was written meanwhile, then swap. The vectors
        embedded here (usually none)."""
        embedder = self.components.embedder
        async with self.components.database.unit_of_work() as session:
            repository = CollectionRepository(session)
            if not await repository.lock_for_write(collection.id):
                raise CollectionNotFound(f"Collection '{collection.name}' was deleted")
            hashes = await DocumentRepository(session).all_hashes(collection.id)
            missing = sorted(hashes - await self.components.vectors.ids(target))
            if missing:
                texts = await DocumentRepository(session).texts_of(collection.id, missing)
                vectors = await embedder.embed_documents(list(texts.values()))
                await self.components.vectors.upsert(target, list(texts), np.asarray(vectors))
            swapped = await repository.swap_vectors(
                collection.id, source, target, embedder.name, embedder.dimension
            )
            if not swapped:
                raise CollectionNotFound(f"Collection '{collection.name}' was deleted")
        return len(missing)


def register(handlers: JobHandlers, components: Components) -> None:
    handlers.register(REEMBED, Reembedding(components))
