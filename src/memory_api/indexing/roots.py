"""The index roots at start-up: the default one is created, each one is named in the log."""

from __future__ import annotations

import logging
from pathlib import Path

from memory_api.settings import Settings

logger = logging.getLogger("memory_api.indexing")


def prepare_index_roots(settings: Settings) -> list[Path]:
    """Create the default root (``<data dir>/documents``) when none is configured, so the quick
    start has a place to put documents; log every root and warn about each missing one, which
    /index_files cannot read until it exists."""
    roots = settings.resolved_index_roots
    if not settings.index_roots:
        try:
            roots[0].mkdir(parents=True, exist_ok=True)
        except OSError as error:
            logger.warning("cannot create the index root %s: %s", roots[0], error.strerror)
    logger.info("index roots (MEMORY_API_INDEX_ROOTS): %s", ", ".join(map(str, roots)))
    for root in roots:
        if not root.is_dir():
            logger.warning("index root %s does not exist or is not a directory", root)
    return roots
