"""``memory-api`` command line: serve, migrate, check; index, query, state, stats (remote)."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from memory_api.errors import MemoryAPIError
from memory_api.settings import Settings, describe_error


def _load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SystemExit(f"memory-api: {describe_error(error)}") from None


def _migrate(settings: Settings) -> None:
    from memory_api.db.migrate import upgrade

    try:
        upgrade(settings)
    except Exception as error:  # a clear line instead of an Alembic/driver traceback
        raise SystemExit(f"memory-api: migration failed: {type(error).__name__}: {error}") from None


def cmd_migrate(args: argparse.Namespace) -> int:
    _migrate(_load_settings())
    print("memory-api: database schema is up to date")
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
    _migrate(settings)
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

    from memory_api.documents.consistency import check
    from memory_api.resources import open_resources

    settings = _load_settings()

    async def run() -> dict[str, object]:
        async with open_resources(settings) as resources:
            await resources.check_embedder()
            report = await check(resources, settings.collection_name, repair=args.repair)
            return report.as_dict()

    try:
        report = asyncio.run(run())
    except MemoryAPIError as error:
        raise SystemExit(f"memory-api: check failed: {error.detail}") from None
    print(json.dumps(report, indent=2))
    return 0 if report["consistent"] or report["repaired"] else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="memory-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply pending migrations, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply pending database migrations and exit")
    migrate.set_defaults(handler=cmd_migrate)

    check = commands.add_parser(
        "check", help="report drift between the database and the vector store"
    )
    check.add_argument("--repair", action="store_true", help="delete orphans, rebuild missing")
    check.set_defaults(handler=cmd_check)

    from memory_api.cli_remote import add_remote_commands

    add_remote_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # `serve` logs through uvicorn's config; one-shot commands report in one line on error.
    logging.basicConfig(level=logging.CRITICAL)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
