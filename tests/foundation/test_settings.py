"""Settings resolution: database URL, the seed's variables, index roots."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from memory_api.settings import Settings, describe_error


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("MEMORY_API_", "POSTGRES_", "CHROMA_", "OPENAI_")):
            monkeypatch.delenv(name)


def load() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_default_is_sqlite_in_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEMORY_API_DATA_DIR", str(tmp_path))
    assert load().resolved_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/memory.db"


def test_postgres_url_gets_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMORY_API_DATABASE_URL", "postgresql://u:p@db:5432/mem")
    assert load().resolved_database_url == "postgresql+asyncpg://u:p@db:5432/mem"


def test_seed_postgres_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_USER", "agent")
    monkeypatch.setenv("POSTGRES_PASSWORD", "p@ss/word")
    monkeypatch.setenv("POSTGRES_DB", "memory")
    monkeypatch.setenv("POSTGRES_HOST", "pg")
    monkeypatch.setenv("POSTGRES_PORT", "6543")
    assert load().resolved_database_url == "postgresql+asyncpg://agent:p%40ss%2Fword@pg:6543/memory"


def test_explicit_url_wins_over_seed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_HOST", "pg")
    monkeypatch.setenv("MEMORY_API_DATABASE_URL", "sqlite:////tmp/x.db")
    assert load().resolved_database_url == "sqlite+aiosqlite:////tmp/x.db"


def test_seed_chroma_and_openai_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_HOST", "chroma")
    monkeypatch.setenv("CHROMA_PORT", "9000")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = load()
    assert (settings.chroma_host, settings.chroma_port) == ("chroma", 9000)
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-test"
    assert "sk-test" not in repr(settings)


def test_index_roots_forms(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEMORY_API_INDEX_ROOTS", f"{tmp_path}/a, {tmp_path}/b")
    assert load().resolved_index_roots == [tmp_path / "a", tmp_path / "b"]
    monkeypatch.setenv("MEMORY_API_INDEX_ROOTS", f'["{tmp_path}/c"]')
    assert load().resolved_index_roots == [tmp_path / "c"]
    monkeypatch.delenv("MEMORY_API_INDEX_ROOTS")
    monkeypatch.setenv("MEMORY_API_DATA_DIR", str(tmp_path))
    assert load().resolved_index_roots == [tmp_path / "documents"]


def test_error_line_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMORY_API_CHUNK_SIZE", "100")
    monkeypatch.setenv("MEMORY_API_CHUNK_OVERLAP", "100")
    with pytest.raises(ValidationError) as caught:
        load()
    message = describe_error(caught.value)
    assert "MEMORY_API_CHUNK_OVERLAP" in message
    assert "\n" not in message
