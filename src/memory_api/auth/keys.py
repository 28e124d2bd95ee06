"""API keys as configured: ``key`` or ``tenant:key`` entries of ``MEMORY_API_API_KEYS``."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_TENANT = "default"
TENANT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
TENANT_RULE = "1 to 63 characters from a-z 0-9 _ -, starting with a letter or digit"
_TENANT = re.compile(TENANT_PATTERN)


@dataclass(frozen=True)
class APIKey:
    tenant: str
    secret: bytes = b""
    #: a short digest of the secret, safe to log and to show: tells keys apart, reveals nothing
    key_id: str = ""


def key_id(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()[:12]


def parse_entry(entry: str) -> APIKey:
    """``tenant:key`` when the part before the first ``:`` is a valid tenant name, otherwise
    the whole entry is a key of the default tenant (write ``default:a:b`` for a key ``a:b``)."""
    tenant, separator, rest = entry.partition(":")
    if separator and rest.strip() and _TENANT.match(tenant):
        secret = rest.strip().encode()
    else:
        tenant, secret = DEFAULT_TENANT, entry.strip().encode()
    return APIKey(tenant=tenant, secret=secret, key_id=key_id(secret))


def parse_keys(entries: Iterable[str]) -> list[APIKey]:
    """Every entry as an ``APIKey``; one secret given to two tenants is refused."""
    keys = [parse_entry(entry) for entry in entries]
    owners: dict[bytes, str] = {}
    for key in keys:
        if owners.setdefault(key.secret, key.tenant) != key.tenant:
            raise ValueError(
                f"one key is given to two tenants ({owners[key.secret]}, {key.tenant})"
            )
    return keys


def is_tenant_name(value: str) -> bool:
    return bool(_TENANT.match(value))
