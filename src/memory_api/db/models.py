"""Imports every domain's models so ``Base.metadata`` is complete (Alembic, drift test)."""

from memory_api.db.base import Base
from memory_api.state.models import SessionState

__all__ = ["Base", "SessionState"]
