"""Erasing a tenant: the right-to-erasure operation. Rows and vectors go together or not at all."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends

from memory_api.auth.principal import PrincipalDep
from memory_api.components import ComponentsDep, SessionDep
from memory_api.db.columns import utcnow
from memory_api.errors import Conflict
from memory_api.tenants.repository import TenantRepository
from memory_api.tenants.schemas import TenantErasedResponse
from memory_api.vectorstore.chroma import VectorStore


class ConfirmationMismatch(Conflict):
    """``confirm`` names a tenant, but not the caller's: a request aimed elsewhere erases
    nothing. 409, not 422: the value is a valid tenant name (what is not gets 422), it only
    conflicts with who is calling."""


class JobsRunning(Conflict):
    """A running job would write rows and vectors back while they are erased."""


class TenantService:
    def __init__(
        self,
        repository: TenantRepository,
        vectors: VectorStore,
        tenant: str,
        lease: timedelta,
    ) -> None:
        self.repository = repository
        self.vectors = vectors
        self.tenant = tenant
        self.lease = lease

    async def erase(self, confirm: str) -> TenantErasedResponse:
        """Delete the rows in the request's transaction, then the vector collections; a vector
        store failure raises (503) before the commit, so the rows stay and a retry finishes."""
        if confirm != self.tenant:
            raise ConfirmationMismatch(
                f"confirm={confirm!r} does not name your tenant: repeat it as "
                f"confirm={self.tenant!r} to erase everything tenant {self.tenant!r} owns"
            )
        running = await self.repository.lock_jobs(self.tenant, utcnow() - self.lease)
        if running:
            raise JobsRunning(
                f"{len(running)} indexing job(s) of tenant {self.tenant!r} are running "
                f"({', '.join(sorted(running))}): cancel them (POST /index_status/{{id}}/cancel), "
                "wait until they end, then retry"
            )
        names = await self.repository.lock_vector_collections(self.tenant)
        vectors = 0
        for name in names:
            vectors += await self.vectors.count(name)
        deleted = await self.repository.erase(self.tenant)
        for name in names:
            await self.vectors.delete_collection(name)
        deleted["vectors"] = vectors
        return TenantErasedResponse(tenant=self.tenant, deleted=dict(sorted(deleted.items())))


async def get_tenant_service(
    session: SessionDep, components: ComponentsDep, principal: PrincipalDep
) -> TenantService:
    lease = timedelta(seconds=components.settings.job_lease_seconds)
    return TenantService(TenantRepository(session), components.vectors, principal.tenant, lease)


TenantServiceDep = Annotated[TenantService, Depends(get_tenant_service)]
