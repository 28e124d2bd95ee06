"""Bodies of the indexing endpoints (the seed's contract)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from memory_api.collections.schemas import CollectionName
from memory_api.http.schemas import StrictRequest
from memory_api.jobs.status import JobStatus

_EXTENSION = re.compile(r"^\.[a-z0-9_+-]{1,20}$")


class IndexFilesRequest(StrictRequest):
    directory: str | None = Field(
        None,
        max_length=4096,
        description=(
            "Absolute path of the directory to index, inside one of MEMORY_API_INDEX_ROOTS "
            "(symlinks resolved). Defaults to the first index root."
        ),
        # Published only: the validator below refuses with a message that says why.
        json_schema_extra={"pattern": "^/"},
    )
    file_extensions: list[Annotated[str, Field(pattern=r"^\.?[A-Za-z0-9_+-]{1,20}$")]] = Field(
        default=[".md", ".txt", ".py"],
        validate_default=True,  # normalised like given ones: equal requests look equal
        min_length=1,
        max_length=100,
        description='File name endings to index, with or without the dot: ".md" or "md".',
    )
    force_reindex: bool = Field(False, description="Re-embed every file, even unchanged ones.")
    collection: CollectionName | None = Field(
        None,
        description=(
            "The collection to index into (default: the default collection, created by its "
            "first writer). Any other collection must exist (POST /collections): 404 if not."
        ),
    )

    @field_validator("directory")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if "\x00" in value:
            raise ValueError("a path cannot contain the NUL character")
        if not PurePosixPath(value).is_absolute():
            # It would be resolved against the server's working directory: never what was meant.
            raise ValueError(
                "must be an absolute path (the server does not know the caller's working directory)"
            )
        return value

    @field_validator("file_extensions")
    @classmethod
    def _normalise(cls, values: list[str]) -> list[str]:
        normalised = []
        for value in values:
            extension = value.strip().lower()
            extension = extension if extension.startswith(".") else f".{extension}"
            if not _EXTENSION.match(extension):
                raise ValueError(f"invalid file extension {value!r}")
            normalised.append(extension)
        return sorted(set(normalised))


class IndexTaskStartResponse(BaseModel):
    message: str
    task_id: str
    status_url: str


class IndexTaskStatusResponse(BaseModel):
    task_id: str
    status: JobStatus | Literal["not_found"]
    progress: int = Field(0, ge=0, le=100)
    details: str = ""
    result: dict[str, Any] | None = None


class IndexJobSummary(BaseModel):
    """One job in ``GET /index_jobs`` (its ``result`` is at its ``status_url``)."""

    task_id: str
    kind: str = Field(
        "index_directory",
        description='"index_directory" (/index_files), "index_upload" (a big upload), '
        '"reembed" (POST /collections/{name}/reembed).',
    )
    status: JobStatus
    progress: int = Field(ge=0, le=100)
    details: str
    collection: str
    directory: str = Field(description='The directory indexed; "" for other kinds.')
    file_extensions: list[str]
    force_reindex: bool
    cancel_requested: bool = Field(
        description="A cancel was asked for: the job stops (or stopped) at its next step."
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    status_url: str
