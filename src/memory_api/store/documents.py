"""Store items in long-term memory: each item's indexed texts are a document of its tenant's
collection ``langgraph-store`` (one chunk per text, not split), written by the documents'
writer, so the vector store and the lexical index hold them as they hold any document's.

The document's ``doc_id`` is a hash of the namespace and key (both may be longer than a doc_id
may be); its metadata names them. The item row links to the document; deleting the document
(or the collection) deletes the item.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from memory_api.documents.identity import STORE, text_hash
from memory_api.documents.repository import NewChunk, NewDocument

#: the collection of each tenant that holds the store items' documents (GET /collections)
STORE_COLLECTION = "langgraph-store"


def item_doc_id(namespace: Sequence[str], key: str) -> str:
    identity = json.dumps([list(namespace), key]).encode()  # ASCII: lone surrogates too
    return "store:" + hashlib.sha256(identity).hexdigest()


def item_document(namespace: Sequence[str], key: str, texts: Sequence[str]) -> NewDocument:
    """The document of an item whose indexed texts are ``texts`` (none: a document without
    chunks, so that every item is one document of the collection)."""
    text = "\n".join(texts)
    return NewDocument(
        doc_id=item_doc_id(namespace, key),
        source_kind=STORE,
        source_path=None,
        extension="",
        content_hash=text_hash(text),
        size_bytes=len(text.encode("utf-8", "surrogatepass")),
        metadata={"namespace": list(namespace), "key": key},
        chunks=[
            NewChunk(position=position, text=piece, index_text=piece, text_hash=text_hash(piece))
            for position, piece in enumerate(texts)
        ],
        text=text,
    )
