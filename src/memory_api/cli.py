"""``memory-api`` command line: serve, migrate, check; index, status, query, state, stats."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.errors import MemoryAPIError
from memory_api.settings import Settings, describe_error

if TYPE_CHECKING:
    from memory_api.db.migrate import Revision


DESCRIPTION = (
    "Hybrid memory for LLM agents. Run the service (serve, migrate, check), or talk to a "
    "running server (index, status, query, state, stats). Errors are one line on stderr."
)


def _load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SystemExit(f"memory-api: {describe_error(error)}") from None


def _migrate(settings: Settings) -> list[Revision]:
    from memory_api.db.migrate import upgrade

    try:
        return upgrade(settings)
    except Exception as error:  # a clear line instead of an Alembic/driver traceback
        raise SystemExit(f"memory-api: migration failed: {_reason(error)}") from None


def _reason(error: BaseException) -> str:
    """One line for an error: a domain error's detail with its cause's message (which the HTTP
    answer leaves out), a driver's own message, or the error's type and message."""
    if isinstance(error, MemoryAPIError):
        detail = error.detail.removesuffix("; retry later")
        cause = error.__cause__
        return f"{detail}: {_message(cause)}" if cause is not None else detail
    return f"{type(error).__name__}: {_message(error)}"


def _message(error: BaseException) -> str:
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig  # without SQLAlchemy's wrapping and its link to the docs
    text = " ".join(str(error).split())  # drivers put SQL and hints on further lines
    return text[:300] or type(error).__name__


def _applied(revisions: list[Revision]) -> str:
    if revisions:
        return f"memory-api: applied {', '.join(map(str, revisions))}"
    return "memory-api: database schema already up to date, nothing applied"


def cmd_migrate(args: argparse.Namespace) -> int:
    print(_applied(_migrate(_load_settings())))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from memory_api.http.server_protocol import timed_protocol
    from memory_api.logging_config import logging_config

    settings = _load_settings()
    if args.workers > 1 and not settings.uses_chroma_server:
        raise SystemExit(
            "memory-api: --workers > 1 needs a Chroma server: the embedded Chroma directory "
            "cannot be shared between processes. Set MEMORY_API_CHROMA_HOST (and "
            "MEMORY_API_CHROMA_PORT) to use the server mode, or run one worker."
        )
    if not settings.api_keys and not settings.allow_unauthenticated and not _is_loopback(args.host):
        raise SystemExit(
            f"memory-api: refusing to serve on {args.host} without authentication: set "
            "MEMORY_API_API_KEYS, or MEMORY_API_ALLOW_UNAUTHENTICATED=true to accept the risk"
        )
    print(_applied(_migrate(settings)), file=sys.stderr)  # beside the server's log lines
    uvicorn.run(
        "memory_api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=logging_config(args.log_level),
        access_log=False,
        http=timed_protocol(settings.http_header_timeout, settings.http_body_timeout),
    )
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_check(args: argparse.Namespace) -> int:
    import asyncio
    import json

    from memory_api.components import open_components
    from memory_api.db.migrate import schema_problem
    from memory_api.documents.consistency import check

    settings = _load_settings()

    async def run() -> dict[str, object]:
        # Only a repair embeds anything; the check compares ids and the model's name.
        async with open_components(settings, start_embedder=args.repair) as components:
            if args.repair:
                await components.embedder.ready()
            report = await check(
                components,
                args.tenant,
                args.collection or settings.collection_name,
                repair=args.repair,
            )
            return report.as_dict()

    try:
        # First, and reading only: opening the database would create a missing SQLite file.
        problem = schema_problem(settings)
        if problem is not None:
            raise SystemExit(f"memory-api: check failed: {problem}")
        report = asyncio.run(run())
    except (MemoryAPIError, SQLAlchemyError, OSError) as error:
        raise SystemExit(f"memory-api: check failed: {_reason(error)}") from None
    print(json.dumps(report, indent=2))
    return 0 if report["consistent"] or report["repaired"] else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="memory-api", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply pending migrations, then serve the API")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8001, help="port (default 8001)")
    serve.add_argument(
        "--workers", type=int, default=1, help="API processes (default 1; >1 needs a Chroma server)"
    )
    serve.add_argument(
        "--log-level", default="info", help="debug, info, warning or error (default info)"
    )
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply pending database migrations and exit")
    migrate.set_defaults(handler=cmd_migrate)

    check = commands.add_parser(
        "check", help="report drift between the database and the vector store"
    )
    check.add_argument("--repair", action="store_true", help="delete orphans, rebuild missing")
    check.add_argument(
        "--collection", help="the collection to check (default: MEMORY_API_COLLECTION_NAME)"
    )
    check.add_argument(
        "--tenant", default=DEFAULT_TENANT, help=f"its tenant (default: {DEFAULT_TENANT})"
    )
    check.set_defaults(handler=cmd_check)

    from memory_api.cli_remote import add_remote_commands

    add_remote_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # `serve` logs through uvicorn's config; one-shot commands report in one line on error.
    logging.basicConfig(level=logging.CRITICAL)
    try:
        result: int = args.handler(args)
    except KeyboardInterrupt:
        print("memory-api: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        # The last line of defence: a command reports what it expects itself, in its words.
        print(f"memory-api: {args.command} failed: {_reason(error)}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
