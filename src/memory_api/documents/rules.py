"""What a client may name and send: doc_ids, metadata keys, and the listing's cursor."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from memory_api.documents.api_schemas import DOC_ID_PATTERN, DOC_ID_RULE, RESERVED_KEYS
from memory_api.errors import InvalidInput

_DOC_ID = re.compile(DOC_ID_PATTERN)


def check_doc_id(doc_id: str) -> None:
    """422 unless ``doc_id`` can name a document ("batch" is the batch endpoint's path)."""
    if not _DOC_ID.match(doc_id) or doc_id == "batch":
        raise InvalidInput(f"doc_id {doc_id[:80]!r} is not valid: {DOC_ID_RULE}")


def check_writable_doc_id(doc_id: str) -> None:
    """``check_doc_id``, and not an id of the files indexed from folders or of store items."""
    check_doc_id(doc_id)
    if doc_id.startswith("file:"):
        raise InvalidInput("doc_ids starting with 'file:' are those of files indexed from folders")
    if doc_id.startswith("store:"):
        raise InvalidInput(
            "doc_ids starting with 'store:' are those of store items: write them with "
            "PUT /store/items"
        )


def check_metadata(metadata: dict[str, Any], where: str = "") -> None:
    """422 for the keys the service sets or derives (a client could mislabel a result)."""
    reserved = sorted(RESERVED_KEYS & metadata.keys())
    if reserved:
        raise InvalidInput(
            f"{where}metadata keys {', '.join(reserved)} are reserved (set by the service)"
        )


def encode_cursor(doc_id: str) -> str:
    """The cursor after ``doc_id``: opaque to clients (base64url of the id)."""
    return base64.urlsafe_b64encode(doc_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        doc_id = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        doc_id = None
    if doc_id is None or encode_cursor(doc_id) != cursor:
        raise InvalidInput("cursor is not one this service returned")
    return doc_id
