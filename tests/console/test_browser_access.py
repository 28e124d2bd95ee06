"""Access to the console and the API docs in a real headless Chromium: the key dialog, a
server without keys, and /docs and /redoc drawn offline from the service's own files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
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


def test_each_tenant_sees_only_its_own(browser: Any, tmp_path: Path, model_dir: Path) -> None:
    """Keys of tenants alpha and beta: with each key the console lists only that tenant's
    sessions, collections and documents; a wrong key is refused and asked again; the key
    never goes in a URL (every request the page sends is checked), only in the header."""
    keys = {"alpha": "alpha-console-key-0123456789", "beta": "beta-console-key-0123456789"}
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_API_KEYS=",".join(f"{tenant}:{key}" for tenant, key in keys.items()),
        MEMORY_API_EMBEDDING_MODEL_DIR=str(model_dir),
    )
    with ServerProcess(env, tmp_path / "server.log") as server:
        for tenant, key in keys.items():
            with httpx.Client(base_url=server.url, headers={"X-API-Key": key}) as api:
                api.post(f"/state/{tenant}-notes", json={"state_data": {"t": tenant}})
                api.post("/collections", json={"name": f"{tenant}_docs"}).raise_for_status()
                path = f"/collections/{tenant}_docs/documents/{tenant}-plan.md"
                api.put(path, json={"text": f"The {tenant} plan."}).raise_for_status()
        for tenant, key in keys.items():
            other = "beta" if tenant == "alpha" else "alpha"
            page = browser.new_page(viewport=DESKTOP)
            log = BrowserLog(server.url)
            log.attach(page)
            log.expect(401, "/openapi.json")  # the wrong key, refused
            sent: list[tuple[str, str | None]] = []
            page.on("request", lambda r: sent.append((r.url, r.headers.get("x-api-key"))))
            page.goto(server.url + "/")
            dialog = page.get_by_role("dialog", name="API key")
            dialog.get_by_label("Key", exact=True).fill(keys[other][:-1])
            dialog.get_by_role("button", name="Continue").click()
            page.get_by_text("That key was refused. Try again.").wait_for()
            dialog.get_by_label("Key", exact=True).fill(key)
            dialog.get_by_role("button", name="Continue").click()
            page.get_by_role("button", name=f"{tenant}-notes").wait_for()
            assert page.get_by_role("button", name=f"{other}-notes").count() == 0
            page.get_by_role("link", name="Long-term memory").click()
            page.get_by_role("button", name=f"{tenant}-plan.md", exact=True).wait_for()
            collections = page.get_by_role("table", name="Collections").inner_text()
            assert f"{tenant}_docs" in collections and f"{other}_docs" not in collections
            assert page.get_by_text(f"{other}-plan.md").count() == 0
            assert page.evaluate("sessionStorage.getItem('memory_api.key')") == key
            assert not [url for url, _ in sent if key in url or keys[other][:-1] in url]
            api_calls = [h for url, h in sent if "/state" in url or "/collections" in url]
            assert api_calls and set(api_calls) == {key}
            assert log.problems == []
            page.close()


def test_swagger_try_it_out_sends_the_key_as_a_header(browser: Any, served: Served) -> None:
    """The docs page and its files get the key from the test (they need one); the call
    itself carries the key typed in Swagger UI's Authorize dialog, as X-API-Key, never in
    the URL."""
    page = browser.new_page(viewport=DESKTOP)
    log = BrowserLog(served.url)
    log.attach(page)

    def with_key(route: Any) -> None:  # the page and its files, as a browser holding the key
        if "/sessions" in route.request.url:
            route.continue_()  # the call itself: only what Swagger UI sends
        else:
            route.continue_(headers={**route.request.headers, "x-api-key": KEY})

    page.route("**/*", with_key)
    page.goto(served.url + "/docs")
    page.get_by_role("button", name="Authorize").first.click()
    block = page.locator(".auth-container", has_text="apiKey")
    block.locator("input").fill(KEY)
    block.locator("button.authorize").click()
    page.get_by_role("button", name="Close").first.click()
    operation = page.locator(".opblock-get", has_text="/sessions").first
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    with page.expect_request(lambda r: "/sessions" in r.url) as sent:
        operation.get_by_role("button", name="Execute").click()
    assert sent.value.headers.get("x-api-key") == KEY
    assert KEY not in sent.value.url
    operation.locator(".live-responses-table tr.response .response-col_status").first.wait_for()
    assert (
        operation.locator(
            ".live-responses-table tr.response .response-col_status"
        ).first.inner_text()
        == "200"
    )
    assert log.problems == []
    page.close()
