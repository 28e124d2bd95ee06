"""Indexing use cases: start a job (validated now, run later), report its status."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from memory_api.auth.principal import PrincipalDep
from memory_api.collections.repository import CollectionRepository
from memory_api.collections.service import CollectionService
from memory_api.components import Components, ComponentsDep, ReadSessionDep, SessionDep
from memory_api.db.columns import utcnow
from memory_api.documents.repository import DocumentRepository
from memory_api.errors import Conflict, Forbidden, NotFound
from memory_api.indexing.files import DirectoryNotFound, resolve_directory
from memory_api.indexing.handler import INDEX_DIRECTORY
from memory_api.indexing.schemas import (
    IndexFilesRequest,
    IndexJobSummary,
    IndexTaskStatusResponse,
)
from memory_api.jobs.repository import JobRepository
from memory_api.jobs.status import JobStatus


class NoIndexRoot(Forbidden):
    """The caller's tenant was granted no directory at all."""


@dataclass(frozen=True)
class StartedJob:
    id: str
    created: bool  # False: an identical job was pending or running, and this is it


def _fingerprint(tenant: str, kind: str, collection: str, params: dict[str, Any]) -> str:
    """The identity of a request; equal requests (of one tenant) have equal fingerprints."""
    key = [tenant, kind, collection, *(params[name] for name in sorted(params))]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()


class IndexingService:
    def __init__(
        self,
        jobs: JobRepository,
        documents: DocumentRepository,
        components: Components,
        tenant: str,
    ) -> None:
        self.jobs = jobs
        self.documents = documents
        self.components = components
        self.tenant = tenant
        self.collections = CollectionService(
            CollectionRepository(jobs.session), components.embedder, components.settings, tenant
        )

    async def start(self, request: IndexFilesRequest) -> StartedJob:
        """Refuse now what would fail later: roots (403), missing dir (422), model (409/503),
        vector store down (503)."""
        settings = self.components.settings
        roots = settings.index_roots_for(self.tenant)
        if not roots:
            raise NoIndexRoot(
                f"tenant {self.tenant!r} may not index any directory: no entry of "
                f"MEMORY_API_INDEX_ROOTS grants it one (write {self.tenant}:/path)"
            )
        collection = await self.collections.resolve(request.collection)
        try:
            directory = resolve_directory(
                request.directory or str(roots[0]), roots, tenant=self.tenant
            )
        except DirectoryNotFound as missing:
            # A deleted directory whose documents are still indexed: re-indexing it is how
            # they leave the index. One never indexed stays an error.
            if not await self.documents.any_under_directory(collection.id, str(missing.path)):
                raise
            directory = missing.path
        # A job could only fail while the vector store is down: say so now.
        await self.components.vectors.heartbeat()
        params = {
            "directory": str(directory),
            "file_extensions": request.file_extensions,  # normalised: sorted, lower-case
            "force_reindex": request.force_reindex,
        }
        fingerprint = _fingerprint(self.tenant, INDEX_DIRECTORY, str(collection.id), params)
        for _ in range(3):
            job_id = str(uuid.uuid4())
            values = {
                "id": job_id,
                "tenant": self.tenant,
                "kind": INDEX_DIRECTORY,
                "collection": collection.name,
                "collection_id": collection.id,
                "status": JobStatus.PENDING.value,
                "params": params,
                "progress": 0,
                "details": "Waiting for a worker",
                "attempts": 0,
                "created_at": utcnow(),
                "fingerprint": fingerprint,
            }
            if await self.jobs.create_unless_active(values):
                return StartedJob(job_id, created=True)
            existing = await self.jobs.active_with_fingerprint(fingerprint)
            if existing is not None:
                return StartedJob(existing.id, created=False)
            # The identical job ended between the two statements: queue a new one.
        raise Conflict("identical indexing requests keep racing; retry the request")

    async def recent(
        self, status: JobStatus | None, limit: int, status_url: Callable[[str], str]
    ) -> list[IndexJobSummary]:
        return [
            IndexJobSummary(
                task_id=job.id,
                kind=job.kind,
                status=JobStatus(job.status),
                progress=job.progress,
                details=job.details,
                collection=job.collection,
                # Only directory jobs have these: the other kinds show empty values.
                directory=job.params.get("directory", ""),
                file_extensions=job.params.get("file_extensions", []),
                force_reindex=bool(job.params.get("force_reindex", False)),
                cancel_requested=job.cancel_requested_at is not None,
                created_at=job.created_at,
                started_at=job.started_at,
                finished_at=job.finished_at,
                status_url=status_url(job.id),
            )
            for job in await self.jobs.recent(self.tenant, status, limit)
        ]

    async def cancel(self, task_id: str) -> tuple[IndexTaskStatusResponse, bool]:
        """Cancel a pending job (it ends now: True) or ask a running one to stop at its next
        step (False); a finished job is a Conflict, an unknown one NotFound."""
        now = utcnow()
        if await self.jobs.cancel_pending(self.tenant, task_id, now):
            ended = True
        elif await self.jobs.request_cancel(self.tenant, task_id, now):
            ended = False
        else:
            job = await self.jobs.get(self.tenant, task_id)
            if job is None:
                raise NotFound(f"No indexing task with id {task_id!r}")
            raise Conflict(f"Job {task_id} already {job.status}: nothing to cancel")
        status = await self.status(task_id)
        assert status is not None  # the row was just updated in this transaction
        return status, ended

    async def status(self, task_id: str) -> IndexTaskStatusResponse | None:
        job = await self.jobs.get(self.tenant, task_id)
        if job is None:
            return None
        return IndexTaskStatusResponse(
            task_id=job.id,
            status=JobStatus(job.status),
            progress=job.progress,
            details=job.details,
            result=job.result,
        )


async def get_indexing_service(
    session: SessionDep, components: ComponentsDep, principal: PrincipalDep
) -> IndexingService:
    return IndexingService(
        JobRepository(session), DocumentRepository(session), components, principal.tenant
    )


async def get_indexing_reader(
    session: ReadSessionDep, components: ComponentsDep, principal: PrincipalDep
) -> IndexingService:
    """The service for the routes that only read jobs (status, list)."""
    return IndexingService(
        JobRepository(session), DocumentRepository(session), components, principal.tenant
    )


IndexingServiceDep = Annotated[IndexingService, Depends(get_indexing_service)]
IndexingReaderDep = Annotated[IndexingService, Depends(get_indexing_reader)]
