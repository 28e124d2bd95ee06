"""Directory indexing as a job kind: the handler the worker runs for ``index_directory``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.collections.service import CollectionNotFound, CollectionService
from memory_api.indexing.files import DirectoryNotFound, resolve_directory
from memory_api.indexing.pipeline import IndexingPipeline
from memory_api.jobs.handlers import JobCancelled, JobHandlers, JobOutcome, Report
from memory_api.jobs.models import Job
from memory_api.settings import Settings

INDEX_DIRECTORY = "index_directory"


class DirectoryIndexing:
    """Indexes the job's directory into its collection (``params``: directory,
    file_extensions, force_reindex), incrementally, so a retried run redoes only the rest."""

    def __init__(self, pipeline: IndexingPipeline, settings: Settings) -> None:
        self.pipeline = pipeline
        self.settings = settings

    async def __call__(self, job: Job, report: Report) -> JobOutcome:
        params = job.params
        async with self.pipeline.database.unit_of_work() as session:
            collection = await self._collection(session, job)
        # Roots are checked again: they may have changed since the job was queued.
        roots = self.settings.index_roots_for(job.tenant)
        try:
            directory = resolve_directory(params["directory"], roots, tenant=job.tenant)
        except DirectoryNotFound as missing:  # gone: the run removes what was indexed there
            directory = missing.path
        try:
            result = await self.pipeline.run(
                collection,
                Path(directory),
                params["file_extensions"],
                bool(params["force_reindex"]),
                report,
            )
        except JobCancelled as cancelled:
            if "indexed" in cancelled.result:
                cancelled.details = (
                    f"Cancelled after indexing {cancelled.result['indexed']} files; "
                    "what was written stays"
                )
            raise
        details = (
            f"Indexed {result['indexed']} files, skipped {result['skipped']} unchanged, "
            f"deleted {result['deleted']}, {result['failed']} failed"
        )
        return JobOutcome(result, details)

    async def _collection(self, session: AsyncSession, job: Job) -> CollectionRecord:
        """The collection a job works on: by id, or by name for a job queued before the
        registry (creating the default collection if needed). One deleted since: a failure."""
        repository = CollectionRepository(session)
        if job.collection_id is not None:
            found = await repository.get_by_id(job.collection_id)
            if found is None:
                raise CollectionNotFound(f"Collection '{job.collection}' was deleted")
            return found
        service = CollectionService(repository, self.pipeline.embedder, self.settings, job.tenant)
        return await service.resolve(job.collection)


def register(handlers: JobHandlers, pipeline: IndexingPipeline, settings: Settings) -> None:
    handlers.register(INDEX_DIRECTORY, DirectoryIndexing(pipeline, settings))
