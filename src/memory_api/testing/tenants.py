"""Several tenants on one app, for tests: each one's client and granted index root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from memory_api.settings import Settings


@dataclass(frozen=True)
class Tenants:
    app: FastAPI
    settings: Settings
    roots: dict[str, Path]  # tenant -> the root granted to it
    client: Callable[[str], httpx.AsyncClient]  # tenant (or "default") -> a client with its key
