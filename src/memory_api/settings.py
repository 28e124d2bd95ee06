"""Service configuration: one ``Settings`` object from ``MEMORY_API_*`` variables and ``.env``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from memory_api.auth.keys import DEFAULT_TENANT, APIKey, parse_keys
from memory_api.tenants.grants import IndexRoot, parse_root, roots_of

ENV_PREFIX = "MEMORY_API_"
MiB = 1024 * 1024


def _alias(name: str, *seed_names: str) -> AliasChoices:
    """Accept ``MEMORY_API_<NAME>`` first, then the seed specification's bare names."""
    return AliasChoices(f"{ENV_PREFIX}{name.upper()}", name, *seed_names)


class Settings(BaseSettings):
    """Every setting of the service. Invalid values refuse start-up (see ``describe_error``)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # --- storage -----------------------------------------------------------------------------
    data_dir: Path = Path("./data")
    database_url: str | None = None
    # Per pool, per process; two pools on PostgreSQL: 4 workers x 2 x 10 = 80 connections fit a
    # default server (max_connections 100) with room for admin sessions (README, "Pool sizing").
    db_pool_size: int = Field(10, ge=1, le=500)
    db_connect_timeout: float = Field(5.0, gt=0)
    # The seed's PostgreSQL variables: used when DATABASE_URL is unset and POSTGRES_HOST is set.
    postgres_user: str = Field("postgres", validation_alias=AliasChoices("POSTGRES_USER"))
    postgres_password: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("POSTGRES_PASSWORD")
    )
    postgres_db: str = Field("agent_memory", validation_alias=AliasChoices("POSTGRES_DB"))
    postgres_host: str | None = Field(None, validation_alias=AliasChoices("POSTGRES_HOST"))
    postgres_port: int = Field(5432, validation_alias=AliasChoices("POSTGRES_PORT"))

    # --- HTTP --------------------------------------------------------------------------------
    max_body_bytes: int = Field(1 * MiB, ge=1)
    # The body limit of uploads (POST /collections/{name}/files), all files together.
    max_upload_bytes: int = Field(10 * MiB, ge=1)
    # Uploads whose files total more bytes than this are indexed by a job (202 + task_id):
    # their text is extracted and stored before the response, embedded afterwards.
    upload_job_bytes: int = Field(1 * MiB, ge=0)
    # Seconds a client may take to send its request headers, then its body
    # (http/server_protocol.py, http/body_limit.py).
    http_header_timeout: float = Field(10.0, gt=0)
    http_body_timeout: float = Field(30.0, gt=0)
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    allow_unauthenticated: bool = False

    # --- long-term memory --------------------------------------------------------------------
    embedding_provider: Literal["local", "openai"] = "local"
    embedding_model_dir: Path | None = None
    embedding_model: str | None = None
    embedding_batch_size: int = Field(8, ge=1, le=2048)
    embedding_indexing_threads: int | None = Field(None, ge=0, le=1024)
    embedding_indexing_nice: int = Field(10, ge=0, le=19)
    #: local provider: None picks int8 unless the database's collections were all built with
    #: the fp32 model (collections/precision.py)
    embedding_precision: Literal["fp32", "int8"] | None = None
    #: where the int8 build of the model is kept (default: <data dir>/models)
    embedding_cache_dir: Path | None = None
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=_alias("openai_api_key", "OPENAI_API_KEY")
    )
    openai_base_url: str | None = None
    openai_max_retries: int = Field(5, ge=0, le=20)
    openai_timeout: float = Field(60.0, gt=0)
    chroma_host: str | None = Field(None, validation_alias=_alias("chroma_host", "CHROMA_HOST"))
    chroma_port: int = Field(
        8000, ge=1, le=65535, validation_alias=_alias("chroma_port", "CHROMA_PORT")
    )
    chroma_ssl: bool = False
    chroma_timeout: float = Field(30.0, gt=0)
    collection_name: str = Field(
        "codebase_docs", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$"
    )
    chunk_size: int = Field(1000, ge=50, le=100_000)
    chunk_overlap: int = Field(200, ge=0)
    # ``path`` (the default tenant's) or ``tenant:path`` entries (tenants/grants.py).
    index_roots: Annotated[list[IndexRoot], NoDecode] = Field(default_factory=list)
    max_file_bytes: int = Field(10 * MiB, ge=1)
    index_allow_hardlinks: bool = False
    # --- search (bench.retrieval_quality chose the defaults) -----------------------------------
    search_mode: Literal["hybrid", "semantic", "lexical"] = "hybrid"
    search_candidates: int = Field(100, ge=1, le=1000)
    # Each process holds in memory the posting lists of the query terms held by more than
    # lexical_memory_min_df chunks, within lexical_memory_mib (0: none, every search sums in
    # SQL); an unfiltered search then reads only the rarer terms from the database
    # (search/lexical/memory.py; BENCHMARKS.md, issue 12). With lexical_memory_preload, a
    # server loads them, the most common terms first, in the background at start.
    lexical_memory_min_df: int = Field(1000, ge=0)
    lexical_memory_mib: float = Field(128.0, ge=0)
    lexical_memory_preload: bool = True  # load them in the background at start
    fusion_method: Literal["convex", "rrf"] = "convex"
    fusion_semantic_weight: float = Field(0.4, ge=0, le=1)
    fusion_rrf_k: float = Field(60.0, gt=0, le=10_000)
    job_lease_seconds: float = Field(60.0, ge=1)
    job_poll_interval: float = Field(1.0, gt=0)
    # Session state: versions kept per session (0: none), default lifetime (None: forever),
    # and the sweeper that deletes expired sessions (seconds between passes, rows per batch).
    state_history: int = Field(20, ge=0, le=10_000)
    state_default_ttl_seconds: int | None = Field(None, ge=1, le=10 * 365 * 86_400)
    state_sweep_interval: float = Field(60.0, gt=0)
    state_sweep_batch: int = Field(500, ge=1, le=100_000)
    # LangGraph store: the value fields indexed when a put gives no ``index`` (JSON paths,
    # "$" = the whole value), the default TTL of an item in minutes (None: forever), whether
    # reads restart TTLs unless told otherwise (LangGraph's refresh_on_read), the sweeper's pace.
    store_index_fields: list[str] = ["$"]
    store_default_ttl_minutes: float | None = Field(None, gt=0, le=10 * 365 * 24 * 60)
    store_refresh_ttl_on_read: bool = True
    store_sweep_interval: float = Field(60.0, gt=0)

    @field_validator("index_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: Any) -> Any:
        """Accept a JSON list or a comma-separated string of ``path`` or ``tenant:path``."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                value = json.loads(text)
            else:
                value = [part.strip() for part in text.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            return [
                parse_root(item) if isinstance(item, str | Path | IndexRoot) else item
                for item in value
            ]
        return value

    @field_validator("api_keys", mode="before")
    @classmethod
    def _read_keys(cls, value: Any) -> Any:
        """Comma-separated keys, or ``@/path/to/file`` with one key per line (a comma is part
        of a key there). Keys are trimmed; a UTF-8 BOM is dropped. A value that names no key
        refuses start-up: an empty file must not silently turn authentication off."""
        if not isinstance(value, str):
            return value
        text = value.strip().removeprefix("\ufeff")
        if text.startswith("@"):
            try:
                # utf-8-sig: editors on Windows start files with a BOM.
                keys = Path(text[1:]).read_text(encoding="utf-8-sig").splitlines()
            except (OSError, UnicodeDecodeError) as error:
                reason = getattr(error, "strerror", None) or "not UTF-8"
                raise ValueError(f"cannot read the key file: {reason}") from None
        else:
            keys = text.split(",")
        found = [key.strip() for key in keys if key.strip()]
        if not found:
            raise ValueError("names no key (unset it to serve without keys)")
        return found

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("must start with sqlite:// or postgresql://")
        return value

    @model_validator(mode="after")
    def _check_keys(self) -> Settings:
        try:
            parse_keys(self.api_key_values)
        except ValueError as error:
            raise ValueError(f"{ENV_PREFIX}API_KEYS: {error}") from None
        return self

    @model_validator(mode="after")
    def _check_chunking(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"{ENV_PREFIX}CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than "
                f"{ENV_PREFIX}CHUNK_SIZE ({self.chunk_size})"
            )
        return self

    # --- derived values ----------------------------------------------------------------------
    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL with an async driver: asyncpg for PostgreSQL, aiosqlite for SQLite."""
        url = self.database_url
        if url is None and self.postgres_host:
            password = quote(self.postgres_password.get_secret_value(), safe="")
            auth = quote(self.postgres_user, safe="") + (f":{password}" if password else "")
            url = (
                f"postgresql://{auth}@{self.postgres_host}:{self.postgres_port}/{self.postgres_db}"
            )
        if url is None:
            url = f"sqlite:///{(self.data_dir / 'memory.db').resolve()}"
        scheme, rest = url.split(":", 1)
        base = scheme.split("+", 1)[0]
        if base in {"postgresql", "postgres"}:
            return f"postgresql+asyncpg:{rest}"
        return f"sqlite+aiosqlite:{rest}"

    @property
    def api_key_values(self) -> list[str]:
        return [key.get_secret_value() for key in self.api_keys]

    def parsed_api_keys(self) -> list[APIKey]:
        """The keys with their tenants (``tenant:key`` entries; others are the default's)."""
        return parse_keys(self.api_key_values)

    @property
    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_host)

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def resolved_index_roots(self) -> list[Path]:
        """The directories the default tenant may index (those of plain entries); with no
        entry at all, ``<data dir>/documents``."""
        return self.index_roots_for(DEFAULT_TENANT)

    def index_roots_for(self, tenant: str) -> list[Path]:
        """The directories ``tenant`` may index: its ``tenant:path`` entries (plain entries
        are the default tenant's). Another tenant's roots are never among them."""
        roots = self.index_roots or [IndexRoot(DEFAULT_TENANT, self.data_dir / "documents")]
        return roots_of(roots, tenant)


def describe_error(error: ValidationError) -> str:
    """One line naming the offending variable(s) and the problem, for start-up refusals."""
    parts = []
    for item in error.errors():
        loc = [str(p) for p in item["loc"] if p != "__root__"]
        name = f"{ENV_PREFIX}{loc[0].upper()}" if loc else "settings"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(message if not loc else f"{name}: {message}")
    return "invalid setting: " + "; ".join(parts)
