"""``memory-api state ACTION``: session state through the SDK (get, put, patch, history,
delete, list). JSON goes to stdout; errors to stderr with a non-zero exit (see cli_remote)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from memory_api.client import MemoryAPIClientError, MemoryClient

SESSION_HELP = "the session id (letters, digits and . _ : @ -)"


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise MemoryAPIClientError(f"invalid JSON for {what}: {error}") from None


def _condition(value: str | None) -> str | None:
    """``--if-match '"3-6123f0a9b8c7d"'`` (the quotes may be left out) / ``--if-match '*'``."""
    if value is None or value == "*":
        return value
    if value.isdigit():
        raise MemoryAPIClientError(
            "--if-match takes the session's ETag (the etag that state get, put and patch "
            f"print) or *, not a version number ({value}): versions restart at 1 when a "
            "session is deleted and written again, only the ETag tells them apart"
        )
    return value if value.startswith(("W/", '"')) else f'"{value}"'


def run_state(args: argparse.Namespace, client: MemoryClient, show: Any) -> int:
    """Run one ``state`` action; ``show`` prints a result as JSON."""
    action = args.action
    if action == "get":
        show(client.get_state(args.session_id, version=args.version))
    elif action == "put":
        data = _json(args.data, "the state")
        if not isinstance(data, dict):
            raise MemoryAPIClientError("the state must be a JSON object")
        show(
            client.put_state(
                args.session_id,
                data,
                ttl_seconds=args.ttl,
                if_match=_condition(args.if_match),
                if_none_match="*" if args.create_only else None,
            )
        )
    elif action == "patch":
        patch = _json(args.patch, "the patch")
        if not isinstance(patch, dict | list):
            raise MemoryAPIClientError("a patch is a JSON object (merge) or array (JSON Patch)")
        show(
            client.patch_state(
                args.session_id, patch, ttl_seconds=args.ttl, if_match=_condition(args.if_match)
            )
        )
    elif action == "history":
        show(client.state_history(args.session_id, limit=args.limit, before_version=args.before))
    elif action == "delete":
        client.delete_state(args.session_id, if_match=_condition(args.if_match))
        print(f"deleted {args.session_id}")
    else:
        show(client.list_sessions(args.skip, args.limit, prefix=args.prefix))
    return 0


def add_state_actions(
    actions: argparse._SubParsersAction[argparse.ArgumentParser],
    remote_again: argparse.ArgumentParser,
) -> None:
    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, parents=[remote_again], help=help_text)
        if name != "list":
            parser.add_argument("session_id", help=SESSION_HELP)
        return parser

    def if_match(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--if-match",
            metavar="ETAG",
            help='only if the session is at ETAG (the "etag" printed by get, put, patch), or *',
        )

    def ttl(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--ttl", type=int, metavar="SECONDS", help="expire after SECONDS")

    get = action("get", "print a session's state")
    get.add_argument("--version", type=int, help="a kept version (see `state history`)")
    put = action("put", "create or replace a state")
    put.add_argument("data", help="the state, a JSON object")
    if_match(put)
    put.add_argument("--create-only", action="store_true", help="fail if the session exists")
    ttl(put)
    patch = action("patch", "change part of a state atomically")
    patch.add_argument(
        "patch",
        help="a JSON object: merge patch (RFC 7396), e.g. '{\"step\": 2}'; or a JSON array: "
        'JSON Patch (RFC 6902), e.g. \'[{"op": "add", "path": "/messages/-", "value": 1}]\'',
    )
    if_match(patch)
    ttl(patch)
    history = action("history", "a session's kept versions, newest first")
    history.add_argument("--limit", type=int, default=100, help="versions to list (1-1000)")
    history.add_argument("--before", type=int, metavar="VERSION", help="only versions below")
    delete = action("delete", "delete a session and its history")
    if_match(delete)
    listing = action("list", "sessions, most recently updated first")
    listing.add_argument("--skip", type=int, default=0, help="sessions to skip (default 0)")
    listing.add_argument(
        "--limit", type=int, default=100, help="sessions to list (1-1000, default 100)"
    )
    listing.add_argument("--prefix", help="only sessions whose id starts so")
