"""CLI commands for collections and documents, through the SDK: ``collections
list|create|show|delete``, ``reembed NAME``, ``add FILE...``, ``docs list|show|delete``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from memory_api.cli_remote import _json_object, _print_json
from memory_api.client import MemoryAPIClientError, MemoryClient
from memory_api.collections.schemas import CollectionInfo

Handler = Callable[[argparse.Namespace, MemoryClient], int]
Runner = Callable[[Handler], Callable[[argparse.Namespace], int]]
DEFAULT_COLLECTION = "codebase_docs"


def _optional_object(text: str | None, what: str) -> dict[str, Any] | None:
    return None if text is None else _json_object(text, what)


def _describe(info: CollectionInfo) -> str:
    return (
        f"{info.name}  {info.documents} documents, {info.chunks} chunks  "
        f"{info.embedding_model} ({info.embedding_dimension} d)  "
        f"chunks of {info.chunk_size}/{info.chunk_overlap}  created {info.created_at:%Y-%m-%d}"
    )


def _collections(args: argparse.Namespace, client: MemoryClient) -> int:
    if args.action == "list":
        found = client.list_collections()
        if args.json:
            _print_json(found)
        for info in [] if args.json else found:
            print(_describe(info))
        if not found and not args.json:
            print("no collections")
        return 0
    if args.action == "create":
        metadata = _optional_object(args.metadata, "--metadata")
        info = client.create_collection(
            args.name,
            metadata=metadata,
            chunk_size=args.chunk_size,
            chunk_overlap=args.chunk_overlap,
        )
    elif args.action == "show":
        info = client.get_collection(args.name)
    else:
        client.delete_collection(args.name)
        print(f"deleted collection {args.name}")
        return 0
    if args.json:
        _print_json(info)
    else:
        print(_describe(info))
    return 0


def _add(args: argparse.Namespace, client: MemoryClient) -> int:
    for path in args.files:
        if not os.path.isfile(path):
            raise MemoryAPIClientError(f"{path}: no such file")
    metadata = _optional_object(args.metadata, "--metadata")
    answer = client.upload_files(args.collection, args.files, metadata=metadata, prefix=args.prefix)
    for written in answer.documents:
        print(f"{written.status:<9} {written.doc_id} ({written.chunk_count} chunks)")
    return 0


def _reembed(args: argparse.Namespace, client: MemoryClient) -> int:
    started = client.reembed(args.name)
    if not args.wait:
        print(f"job {started.task_id} started; follow it with: memory-api status {started.task_id}")
        return 0
    final = client.wait_job(started.task_id, poll_interval=0.3)
    print(f"{final.status}: {final.details}")
    return 0 if final.status == "completed" else 1


def _docs(args: argparse.Namespace, client: MemoryClient) -> int:
    if args.action == "show":
        _print_json(client.get_document(args.collection, args.doc_id, include_chunks=args.chunks))
        return 0
    if args.action == "delete":
        client.delete_document(args.collection, args.doc_id)
        print(f"deleted {args.doc_id}")
        return 0
    page = client.list_documents(args.collection, args.prefix, args.limit, args.cursor)
    if args.json:
        _print_json(page)
        return 0
    for doc in page.documents:
        print(f"{doc.doc_id}  {doc.source:<6} {doc.chunk_count:>4} chunks  {doc.updated_at:%F %T}")
    if page.next_cursor:
        print(f"more: --cursor {page.next_cursor}")
    return 0


def add_document_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    remote: argparse.ArgumentParser,
    remote_again: argparse.ArgumentParser,
    run: Runner,
) -> None:
    """Register ``collections``, ``add`` and ``docs`` (``remote_again``: the server options,
    accepted after an action too)."""
    default = os.environ.get("MEMORY_API_COLLECTION", DEFAULT_COLLECTION)
    target = argparse.ArgumentParser(add_help=False)
    target.add_argument(
        "--collection",
        default=default,
        help=f"the collection (default: MEMORY_API_COLLECTION or {DEFAULT_COLLECTION})",
    )
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON")

    collections = commands.add_parser("collections", parents=[remote], help="collections")
    actions = collections.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", parents=[remote_again, as_json], help="every collection")
    create = actions.add_parser("create", parents=[remote_again, as_json], help="a new one")
    create.add_argument("name", help="1-63 characters from a-z 0-9 _ -")
    create.add_argument("--chunk-size", type=int, help="characters per chunk")
    create.add_argument("--chunk-overlap", type=int, help="characters shared by neighbours")
    create.add_argument("--metadata", metavar="JSON", help="a JSON object kept with it")
    for name, text in (("show", "counts, model, chunking"), ("delete", "delete it, all of it")):
        action = actions.add_parser(name, parents=[remote_again, as_json], help=text)
        action.add_argument("name", help="the collection")
    collections.set_defaults(handler=run(_collections))

    reembed = commands.add_parser(
        "reembed", parents=[remote], help="rebuild a collection's vectors with the server's model"
    )
    reembed.add_argument("name", help="the collection")
    reembed.add_argument("--wait", action="store_true", help="wait until the job ends")
    reembed.set_defaults(handler=run(_reembed))

    add = commands.add_parser(
        "add", parents=[remote, target], help="upload files (text, Markdown, code, PDF, HTML)"
    )
    add.add_argument("files", nargs="+", metavar="FILE", help="files to upload and index")
    add.add_argument("--prefix", default="", help="prepended to each file name: its doc_id")
    add.add_argument("--metadata", metavar="JSON", help="metadata of every file's document")
    add.set_defaults(handler=run(_add))

    docs = commands.add_parser("docs", parents=[remote], help="documents of a collection")
    doc_actions = docs.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = doc_actions.add_parser(
        "list", parents=[remote_again, target, as_json], help="documents, by doc_id"
    )
    listing.add_argument("--prefix", default="", help="only doc_ids starting so")
    listing.add_argument("--limit", type=int, default=100, help="at most this many (1-1000)")
    listing.add_argument("--cursor", help="the cursor a previous page printed")
    for name, text in (("show", "text, metadata and hash, as JSON"), ("delete", "delete it")):
        action = doc_actions.add_parser(name, parents=[remote_again, target], help=text)
        action.add_argument("doc_id", help="the document's id")
        if name == "show":
            action.add_argument("--chunks", action="store_true", help="its chunks too, in order")
    docs.set_defaults(handler=run(_docs))
