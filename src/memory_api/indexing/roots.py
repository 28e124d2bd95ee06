"""The index roots at start-up: the default one is created, each one is named in the log."""

from __future__ import annotations

import logging
from pathlib import Path

from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.settings import Settings
from memory_api.tenants.grants import IndexRoot

logger = logging.getLogger("memory_api.indexing")


def prepare_index_roots(settings: Settings) -> list[Path]:
    """Create the default root (``<data dir>/documents``) when none is configured, so the quick
    start has a place to put documents; log every root with its tenant and warn about each
    missing one, which /index_files cannot read until it exists. Returns every root."""
    if settings.index_roots:
        granted = [
            IndexRoot(root.tenant, root.path.expanduser().resolve())
            for root in settings.index_roots
        ]
    else:
        granted = [IndexRoot(DEFAULT_TENANT, settings.resolved_index_roots[0])]
        try:
            granted[0].path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            logger.warning("cannot create the index root %s: %s", granted[0].path, error.strerror)
    logger.info("index roots (MEMORY_API_INDEX_ROOTS): %s", ", ".join(map(str, granted)))
    for root in granted:
        if not root.path.is_dir():
            logger.warning("index root %s does not exist or is not a directory", root.path)
    return [root.path for root in granted]
