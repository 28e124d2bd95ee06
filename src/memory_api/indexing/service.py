"""Indexing use cases: start a job (validated now, run later), report its status."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends

from memory_api.db.columns import utcnow
from memory_api.db.session import SessionDep
from memory_api.documents.repository import DocumentRepository
from memory_api.indexing.files import DirectoryNotFound, resolve_directory
from memory_api.indexing.models import IndexJob
from memory_api.indexing.pipeline import IndexingPipeline
from memory_api.indexing.repository import PENDING, JobRepository
from memory_api.indexing.schemas import IndexFilesRequest, IndexTaskStatusResponse
from memory_api.indexing.worker import JobRunner
from memory_api.resources import Resources, ResourcesDep
from memory_api.settings import Settings


class IndexingService:
    def __init__(
        self, jobs: JobRepository, documents: DocumentRepository, resources: Resources
    ) -> None:
        self.jobs = jobs
        self.documents = documents
        self.resources = resources

    async def start(self, request: IndexFilesRequest) -> IndexJob:
        """Refuse now what would fail later: roots (403), missing dir (422), model (409/503),
        vector store down (503)."""
        settings = self.resources.settings
        roots = settings.resolved_index_roots
        collection = settings.collection_name
        try:
            directory = resolve_directory(request.directory or str(roots[0]), roots)
        except DirectoryNotFound as missing:
            # A deleted directory whose documents are still indexed: re-indexing it is how
            # they leave the index. One never indexed stays an error.
            if not await self.documents.any_under_directory(collection, str(missing.path)):
                raise
            directory = missing.path
        await self.resources.ready_collection(collection)
        # The collection check above is made once per process: ask the store itself now.
        await self.resources.store.heartbeat()
        job = IndexJob(
            id=str(uuid.uuid4()),
            kind="index_directory",
            collection=collection,
            status=PENDING,
            params={
                "directory": str(directory),
                "file_extensions": request.file_extensions,
                "force_reindex": request.force_reindex,
            },
            progress=0,
            details="Waiting for a worker",
            attempts=0,
            created_at=utcnow(),
        )
        await self.jobs.create(job)
        return job

    async def status(self, task_id: str) -> IndexTaskStatusResponse | None:
        job = await self.jobs.get(task_id)
        if job is None:
            return None
        return IndexTaskStatusResponse(
            task_id=job.id,
            status=job.status,
            progress=job.progress,
            details=job.details,
            result=job.result,
        )


def make_job_runner(pipeline: IndexingPipeline, settings: Settings) -> JobRunner:
    """What the worker calls for each claimed job."""

    async def run(job: IndexJob, report: Callable[[int, str], None]) -> dict[str, Any]:
        params = job.params
        # Roots are checked again: they may have changed since the job was queued.
        roots = settings.resolved_index_roots
        try:
            directory = resolve_directory(params["directory"], roots)
        except DirectoryNotFound as missing:  # gone: the run removes what was indexed there
            directory = missing.path
        return await pipeline.run(
            job.collection,
            Path(directory),
            params["file_extensions"],
            bool(params["force_reindex"]),
            report,
        )

    return run


async def get_indexing_service(session: SessionDep, resources: ResourcesDep) -> IndexingService:
    return IndexingService(JobRepository(session), DocumentRepository(session), resources)


IndexingServiceDep = Annotated[IndexingService, Depends(get_indexing_service)]
