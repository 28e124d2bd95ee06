"""Checkpoint and pending-write tables (one row per checkpoint, one per write)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from memory_api.db.base import Base
from memory_api.db.columns import TENANT_MAX_LENGTH

#: thread ids, namespaces, checkpoint and task ids: LangGraph puts no bound on them; this one
#: keeps them inside an index entry on both databases.
KEY_MAX_LENGTH = 1024
TYPE_MAX_LENGTH = 64
CHANNEL_MAX_LENGTH = 1024


class Checkpoint(Base):
    """A checkpoint of one thread and namespace: the serializer's ``(type, bytes)`` and the
    metadata as JSON (what ``list(filter=...)`` matches). ``run_id`` is the metadata's, kept in
    a column so ``delete_for_runs`` is an index lookup."""

    __tablename__ = "lg_checkpoints"

    tenant: Mapped[str] = mapped_column(String(TENANT_MAX_LENGTH), primary_key=True)
    thread_id: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    checkpoint_ns: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    checkpoint_id: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    parent_checkpoint_id: Mapped[str | None] = mapped_column(String(KEY_MAX_LENGTH))
    run_id: Mapped[str | None] = mapped_column(String(KEY_MAX_LENGTH))
    type: Mapped[str] = mapped_column(String(TYPE_MAX_LENGTH))
    checkpoint: Mapped[bytes] = mapped_column(LargeBinary)
    checkpoint_metadata: Mapped[dict[str, Any]] = mapped_column("metadata")
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_lg_checkpoints_tenant_run_id", "tenant", "run_id"),)


class CheckpointWrite(Base):
    """A pending write of a task against a checkpoint; ``idx`` is LangGraph's (negative for
    the special channels: errors, interrupts, resumes, which a later write replaces)."""

    __tablename__ = "lg_checkpoint_writes"

    tenant: Mapped[str] = mapped_column(String(TENANT_MAX_LENGTH), primary_key=True)
    thread_id: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    checkpoint_ns: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    checkpoint_id: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    idx: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    task_path: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH))
    channel: Mapped[str] = mapped_column(String(CHANNEL_MAX_LENGTH))
    type: Mapped[str] = mapped_column(String(TYPE_MAX_LENGTH))
    value: Mapped[bytes] = mapped_column(LargeBinary)
