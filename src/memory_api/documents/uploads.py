"""Uploaded files become documents: their text is extracted and written like any document
(the original bytes are not kept: the text is the system of record)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from memory_api.documents.api_schemas import DocumentWritten
from memory_api.documents.api_service import DocumentsService, Incoming
from memory_api.documents.identity import UPLOAD
from memory_api.documents.rules import check_metadata, check_writable_doc_id
from memory_api.errors import InvalidInput
from memory_api.ingestion.extract import extract


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str | None
    data: bytes


def doc_id_of(filename: str, prefix: str) -> str:
    """``prefix`` + the file's name without any folder a client put in it."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    if not name:
        raise InvalidInput(f"file name {filename!r} is empty: every file part needs a filename")
    return prefix + name


async def upload(
    service: DocumentsService,
    collection_name: str,
    files: Sequence[UploadedFile],
    metadata: dict[str, Any],
    prefix: str,
) -> list[DocumentWritten]:
    """Index every file in one embedding batch and one transaction, or none: a file of an
    unsupported type (415) or an unreadable one (422) refuses the whole request."""
    documents = await prepare(files, metadata, prefix)
    collection = await service.for_writing(collection_name)
    return await service.write(collection, documents)


async def prepare(
    files: Sequence[UploadedFile], metadata: dict[str, Any], prefix: str
) -> list[Incoming]:
    """Every file checked and its text extracted (415, 422), as documents to write."""
    check_metadata(metadata)
    doc_ids = [doc_id_of(file.filename, prefix) for file in files]
    for doc_id in doc_ids:
        check_writable_doc_id(doc_id)
    repeated = sorted({doc_id for doc_id in doc_ids if doc_ids.count(doc_id) > 1})
    if repeated:
        raise InvalidInput(f"two files would be document {repeated[0]!r}: rename one")
    extracted = await asyncio.to_thread(
        lambda: [extract(file.filename, file.content_type, file.data) for file in files]
    )
    documents = []
    for file, doc_id, found in zip(files, doc_ids, extracted, strict=True):
        if not found.text.strip():
            raise InvalidInput(f"{file.filename!r}: no text could be extracted")
        name = PurePosixPath(file.filename.replace("\\", "/")).name
        documents.append(
            Incoming(
                doc_id,
                found.text,
                {**metadata, "filename": name},
                source=UPLOAD,
                extension=found.extension,
            )
        )
    return documents
