"""Queueing a re-embedding, and whether one is running (``/rag_query`` then answers from the
lexical index alone: the vectors are being rebuilt)."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Annotated

from fastapi import Depends

from memory_api.auth.principal import PrincipalDep
from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.collections.service import CollectionNotFound, new_vector_collection_name
from memory_api.components import Components, ComponentsDep
from memory_api.db.columns import utcnow
from memory_api.errors import Conflict
from memory_api.jobs.repository import JobRepository
from memory_api.jobs.status import JobStatus
from memory_api.reembed.handler import REEMBED


async def rebuilding(repository: JobRepository, collection: CollectionRecord) -> bool:
    return await repository.active_of_kind(collection.id, REEMBED) is not None


class ReembedService:
    def __init__(self, components: Components, tenant: str) -> None:
        self.components = components
        self.tenant = tenant

    async def start(self, name: str) -> tuple[str, bool]:
        """``(job id, created)``: a pending or running re-embedding of the collection is
        returned instead of a second one. 404 unknown collection, 503 model or store down."""
        components = self.components
        await components.embedder.ready()
        await components.vectors.heartbeat()
        key = json.dumps([self.tenant, REEMBED, name])
        for _ in range(3):
            async with components.database.unit_of_work() as session:
                collection = await CollectionRepository(session).get(self.tenant, name)
                if collection is None:
                    raise CollectionNotFound(f"Collection '{name}' not found")
                fingerprint = hashlib.sha256(f"{key}:{collection.id}".encode()).hexdigest()
                jobs = JobRepository(session)
                job_id = str(uuid.uuid4())
                values = {
                    "id": job_id,
                    "tenant": self.tenant,
                    "kind": REEMBED,
                    "collection": collection.name,
                    "collection_id": collection.id,
                    "status": JobStatus.PENDING.value,
                    "params": {
                        "source": collection.vector_collection,
                        "target": new_vector_collection_name(),
                    },
                    "progress": 0,
                    "details": "Waiting for a worker",
                    "attempts": 0,
                    "created_at": utcnow(),
                    "fingerprint": fingerprint,
                }
                if await jobs.create_unless_active(values):
                    return job_id, True
                existing = await jobs.active_with_fingerprint(fingerprint)
                if existing is not None:
                    return existing.id, False
        raise Conflict("identical re-embedding requests keep racing; retry the request")


async def get_reembed_service(components: ComponentsDep, principal: PrincipalDep) -> ReembedService:
    return ReembedService(components, principal.tenant)


ReembedServiceDep = Annotated[ReembedService, Depends(get_reembed_service)]
