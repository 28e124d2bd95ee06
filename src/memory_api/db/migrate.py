"""Apply the Alembic migrations shipped inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from memory_api.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it serialises concurrent `memory-api migrate` runs on PostgreSQL.
ADVISORY_LOCK_KEY = 0x6D656D6F


def alembic_config(database_url: str) -> Config:
    """A config that needs no alembic.ini, so migrations work from an installed wheel."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (blocking; call it before the event loop starts)."""
    if settings.resolved_database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.resolved_database_url), revision)
