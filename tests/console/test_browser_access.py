"""Access to the console and the API docs in a real headless Chromium: the key dialog, a
server without keys, and /docs and /redoc drawn offline from the service's own files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from memory_api.testing.browser import DESKTOP, KEY, BrowserLog, Served, shoot
from memory_api.testing.server import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def test_a_key_is_asked_once_and_a_wrong_one_is_refused(browser: Any, served: Served) -> None:
    page = browser.new_page(viewport=DESKTOP)
    page.goto(served.url + "/")
    assert page.url == served.url + "/ui"
    dialog = page.get_by_role("dialog", name="API key")
    dialog.get_by_label("Key", exact=True).fill("not-the-key")
    dialog.get_by_role("button", name="Continue").click()
    page.get_by_text("That key was refused. Try again.").wait_for()
    dialog.get_by_label("Key", exact=True).fill(KEY)
    dialog.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Sessions", level=1).wait_for()
    # Kept for the tab (sessionStorage), never in a URL: a reload asks nothing.
    assert page.evaluate("sessionStorage.getItem('memory_api.key')") == KEY
    assert KEY not in page.url
    page.reload()
    page.get_by_role("heading", name="Sessions", level=1).wait_for()
    assert not dialog.is_visible()
    # Signing out forgets the key: the dialog asks again.
    page.get_by_role("button", name="Sign out").click()
    dialog.wait_for()
    assert page.evaluate("sessionStorage.getItem('memory_api.key')") is None
    page.close()


SUMMARY = "Search indexed documents: hybrid (default), semantic or lexical"


@pytest.mark.parametrize(
    ("page_path", "drawn"),
    [
        ("/docs", lambda page: page.locator(".opblock-summary-description", has_text=SUMMARY)),
        ("/redoc", lambda page: page.get_by_role("heading", name=SUMMARY)),
    ],
)
def test_api_docs_render_offline(
    browser: Any, served: Served, shots: Path, page_path: str, drawn: Callable[[Any], Any]
) -> None:
    """Swagger UI and ReDoc draw the API from the service's own files: any request to another
    host (a CDN, a font) is a problem in the log. The key goes as a header (they need one)."""
    context = browser.new_context(viewport=DESKTOP, extra_http_headers={"X-API-Key": KEY})
    page = context.new_page()
    log = BrowserLog(served.url)
    log.attach(page)
    page.goto(served.url + page_path)
    drawn(page).first.wait_for()  # the /rag_query operation, drawn from /openapi.json
    shoot(page, shots, page_path.strip("/") + "-desktop", full_page=False)  # pages long
    assert log.problems == []
    context.close()


def test_without_keys_nothing_is_asked_and_the_docs_are_linked(
    browser: Any, tmp_path: Path, model_dir: Path
) -> None:
    env = ServerProcess.base_env(tmp_path, MEMORY_API_EMBEDDING_MODEL_DIR=str(model_dir))
    with ServerProcess(env, tmp_path / "server.log") as server:
        page = browser.new_page(viewport=DESKTOP)
        log = BrowserLog(server.url)
        log.attach(page)
        page.goto(server.url + "/")
        page.get_by_role("heading", name="Sessions", level=1).wait_for()
        assert not page.get_by_role("dialog", name="API key").is_visible()
        assert not page.get_by_role("button", name="Sign out").is_visible()
        page.get_by_role("link", name="API docs").click()
        page.locator(".opblock-summary-description", has_text=SUMMARY).first.wait_for()
        assert page.url == server.url + "/docs"
        assert log.problems == []
        page.close()
