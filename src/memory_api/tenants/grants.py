"""Index roots granted per tenant: ``MEMORY_API_INDEX_ROOTS`` entries ``path`` or ``tenant:path``.

Kept free of the app's other modules: ``settings`` parses its entries with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from memory_api.auth.keys import DEFAULT_TENANT, is_tenant_name


@dataclass(frozen=True, slots=True)
class IndexRoot:
    """A directory ``tenant`` may index (and everything below it)."""

    tenant: str
    path: Path

    def __str__(self) -> str:
        """As it would be configured: a default tenant's root is a plain path."""
        return str(self.path) if self.tenant == DEFAULT_TENANT else f"{self.tenant}:{self.path}"


def parse_root(entry: str | Path | IndexRoot) -> IndexRoot:
    """``tenant:/path`` when the part before the first ``:`` is a tenant name; otherwise the
    whole entry is a path of the default tenant, as keys without a tenant are (write
    ``default:/a:b`` for a path holding a colon). A ``Path`` is always the default's."""
    if isinstance(entry, IndexRoot):
        return entry
    if isinstance(entry, Path):
        return IndexRoot(DEFAULT_TENANT, entry)
    text = entry.strip()
    tenant, separator, rest = text.partition(":")
    if separator and rest.strip() and is_tenant_name(tenant):
        return IndexRoot(tenant, Path(rest.strip()))
    return IndexRoot(DEFAULT_TENANT, Path(text))


def roots_of(roots: Iterable[IndexRoot], tenant: str) -> list[Path]:
    """The resolved directories granted to ``tenant``, in the configured order."""
    return [root.path.expanduser().resolve() for root in roots if root.tenant == tenant]
