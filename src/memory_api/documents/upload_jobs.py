"""Big uploads as jobs: the request extracts the text and stores it in the job's params
(durable before the 202), the worker embeds and writes it like a small upload would.

A crash after the 202 loses nothing: the job row holds every document, and the write is
idempotent (a document whose text and metadata are stored already is "unchanged").
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict

from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.collections.service import CollectionNotFound, check_model
from memory_api.components import Components
from memory_api.db.columns import utcnow
from memory_api.documents.api_service import DocumentsService, Incoming
from memory_api.jobs.handlers import JobHandlers, JobOutcome, Report
from memory_api.jobs.models import Job
from memory_api.jobs.repository import JobRepository
from memory_api.jobs.status import JobStatus

INDEX_UPLOAD = "index_upload"


async def queue_upload(
    components: Components, tenant: str, collection: CollectionRecord, documents: Sequence[Incoming]
) -> str:
    """Commit a job holding every document; its id. Each upload is its own job (no
    fingerprint folding: two uploads of the same name are two writes, in order)."""
    job_id = str(uuid.uuid4())
    params = {"documents": [asdict(document) for document in documents]}
    async with components.database.unit_of_work() as session:
        created = await JobRepository(session).create_unless_active(
            {
                "id": job_id,
                "tenant": tenant,
                "kind": INDEX_UPLOAD,
                "collection": collection.name,
                "collection_id": collection.id,
                "status": JobStatus.PENDING.value,
                "params": params,
                "progress": 0,
                "details": f"Waiting for a worker ({len(documents)} uploaded files)",
                "attempts": 0,
                "created_at": utcnow(),
                "fingerprint": job_id.replace("-", ""),
            }
        )
    assert created  # a fresh uuid cannot collide
    return job_id


class UploadIndexing:
    """Writes the job's stored documents into its collection (one embedding batch)."""

    def __init__(self, components: Components) -> None:
        self.components = components

    async def __call__(self, job: Job, report: Report) -> JobOutcome:
        async with self.components.database.reading() as session:
            collection = None
            if job.collection_id is not None:
                collection = await CollectionRepository(session).get_by_id(job.collection_id)
        if collection is None:
            raise CollectionNotFound(f"Collection '{job.collection}' was deleted")
        await self.components.embedder.ready()
        check_model(collection, self.components.embedder)  # 409: re-embed it, then retry
        documents = [Incoming(**document) for document in job.params["documents"]]
        report(10, f"Embedding {len(documents)} uploaded files")
        written = await DocumentsService(self.components, job.tenant).write(collection, documents)
        counts = {"created": 0, "replaced": 0, "unchanged": 0}
        for item in written:
            counts[item.status] += 1
        result = {
            "documents": [item.model_dump() for item in written],
            "indexed": counts["created"] + counts["replaced"],
            **counts,
        }
        details = (
            f"Indexed {len(written)} uploaded files: {counts['created']} created, "
            f"{counts['replaced']} replaced, {counts['unchanged']} unchanged"
        )
        return JobOutcome(result, details)


def register(handlers: JobHandlers, components: Components) -> None:
    handlers.register(INDEX_UPLOAD, UploadIndexing(components))
