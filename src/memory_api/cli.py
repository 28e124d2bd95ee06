"""``memory-api`` command line: serve, migrate."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

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

    settings = _load_settings()
    _migrate(settings)
    uvicorn.run(
        "memory_api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
    )
    return 0


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
