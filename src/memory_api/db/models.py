"""Imports every domain's models so ``Base.metadata`` is complete (Alembic, drift test)."""

from memory_api.checkpoints.models import Checkpoint, CheckpointWrite
from memory_api.collections.models import Collection
from memory_api.db.base import Base
from memory_api.documents.models import Chunk, Document
from memory_api.jobs.models import Job
from memory_api.search.lexical.models import (
    LexicalChunk,
    LexicalPosting,
    LexicalRemoval,
    LexicalStats,
    LexicalTerm,
)
from memory_api.state.models import SessionState, SessionStateVersion
from memory_api.store.models import StoreItem

__all__ = [
    "Base",
    "Checkpoint",
    "CheckpointWrite",
    "Chunk",
    "Collection",
    "Document",
    "Job",
    "LexicalChunk",
    "LexicalPosting",
    "LexicalRemoval",
    "LexicalStats",
    "LexicalTerm",
    "SessionState",
    "SessionStateVersion",
    "StoreItem",
]
