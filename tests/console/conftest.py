"""A real ``memory-api serve`` (embedded default, keys set) and a headless Chromium driven by
Playwright, for the console's browser tests. One server and one browser per module."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from memory_api.testing.browser import CHROMIUM_ARGS, KEY, BrowserLog, Served, open_console
from memory_api.testing.server import ServerProcess

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = {
    "ops.md": "# Key rotation\nWe rotate the API keys every month with the vault script.\n",
    "deploy.txt": "Deploying: run the release pipeline, then check the health page.\n",
}


@pytest.fixture(scope="module")
def shots() -> Path:
    """Where the tests leave their screenshots (README "Web console"); docs/screenshots holds
    the committed ones, refreshed with MEMORY_API_SCREENSHOT_DIR=docs/screenshots."""
    configured = os.environ.get("MEMORY_API_SCREENSHOT_DIR")
    path = Path(configured) if configured else REPO / "build" / "screenshots"
    path = path if path.is_absolute() else REPO / path
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("console")
    documents = root / "documents"
    documents.mkdir()
    for name, text in DOCUMENTS.items():
        (documents / name).write_text(text)
    env = ServerProcess.base_env(
        root,
        MEMORY_API_API_KEYS=KEY,
        MEMORY_API_INDEX_ROOTS=str(documents),
        MEMORY_API_EMBEDDING_MODEL_DIR=str(model_dir),
        MEMORY_API_JOB_POLL_INTERVAL="0.2",
    )
    server = ServerProcess(env, root / "server.log")
    server.start(ready_path="/livez")
    try:
        with httpx.Client(base_url=server.url, headers={"X-API-Key": KEY}, timeout=30) as api:
            yield Served(server.url, documents, api)
    finally:
        server.stop()


@pytest.fixture
def console(browser: Any, served: Served) -> Iterator[Callable[..., tuple[Any, BrowserLog]]]:
    """``console(viewport, scheme="light")``: a page signed in to the served console (in that
    colour scheme), and its log."""
    opened: list[Any] = []

    def open_page(viewport: dict[str, int], scheme: str = "light") -> tuple[Any, BrowserLog]:
        page, log = open_console(browser, served.url, KEY, viewport, scheme)  # type: ignore[arg-type]
        opened.append(page)
        return page, log

    yield open_page
    for page in opened:
        page.close()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
