"""Who is calling: the ``Principal`` every route receives through ``PrincipalDep``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from memory_api.auth.keys import DEFAULT_TENANT

PRINCIPAL_STATE_KEY = "principal"


@dataclass(frozen=True, slots=True)
class Principal:
    """The tenant whose resources a request may see, and the key it presented (None when the
    service runs without keys: everything then belongs to the default tenant)."""

    tenant: str
    key_id: str | None = None


ANONYMOUS = Principal(DEFAULT_TENANT)


async def get_principal(request: Request) -> Principal:
    """Set by the API-key middleware; without keys configured, the default tenant."""
    principal: Principal = request.scope.get("state", {}).get(PRINCIPAL_STATE_KEY, ANONYMOUS)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
