"""How documents and chunks are identified, whatever their source."""

from __future__ import annotations

import hashlib

#: a document's source: a file indexed from a folder, an upload, a text sent through the API,
#: the indexed texts of a LangGraph store item (``memory_api.store``)
PATH, UPLOAD, API, STORE = "path", "upload", "api", "store"


def path_doc_id(path: str) -> str:
    """The ``doc_id`` of a file indexed from a folder: stable, URL-safe, 37 characters."""
    return "file:" + hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def text_hash(text: str) -> str:
    """The id of the vector of ``text`` (what is embedded): equal texts share one vector."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
