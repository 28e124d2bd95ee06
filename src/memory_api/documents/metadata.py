"""The metadata stored beside each vector: what query results return and filters match."""

from __future__ import annotations

from typing import Any

#: The keys every chunk carries, in the order results list them.
KEYS = ("source", "relative_path", "extension", "chunk_index", "collection")


def chunk_metadata(
    *, source: str, relative_path: str, extension: str, chunk_index: int, collection: str
) -> dict[str, Any]:
    return {
        "source": source,
        "relative_path": relative_path,
        "extension": extension,
        "chunk_index": chunk_index,
        "collection": collection,
    }


def in_order(metadata: dict[str, Any]) -> dict[str, Any]:
    """``metadata`` with its keys in one order (Chroma returns them in any): ``KEYS`` first,
    then any other key alphabetically."""
    ordered = {key: metadata[key] for key in KEYS if key in metadata}
    for key in sorted(metadata.keys() - ordered.keys()):
        ordered[key] = metadata[key]
    return ordered
