"""Helpers for the console's browser tests (Playwright driving a real Chromium).

``BrowserLog`` collects what a page reports that a clean console must not: console errors and
warnings, uncaught exceptions, failed requests, HTTP errors, requests leaving the origin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import httpx

if TYPE_CHECKING:  # playwright is a dev dependency: only the tests import this module
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
KEY = "console-browser-key-0123456789"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


# A function that lists the visible texts below WCAG AA contrast (see the file).
LOW_CONTRAST_SCRIPT = (Path(__file__).parent / "low_contrast.js").read_text()


@dataclass
class Served:
    """A running server for the browser, and an API client with the key beside it."""

    url: str
    documents: Path
    api: httpx.Client


@dataclass
class BrowserLog:
    origin: str
    problems: list[str] = field(default_factory=list)
    expected_statuses: set[tuple[int, str]] = field(default_factory=set)

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"exception: {error}"))
        page.on("requestfailed", self._failed)
        page.on("request", self._request)
        page.on("response", self._response)

    def expect(self, status: int, path: str) -> None:
        """A failure the test provokes on purpose (and then checks that the page shows)."""
        self.expected_statuses.add((status, path))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "warning"):
            return
        # Chromium logs every HTTP error it receives; the ones provoked on purpose are fine.
        path = httpx.URL(message.location.get("url") or "/").path
        for status, expected_path in self.expected_statuses:
            provoked = f"Failed to load resource: the server responded with a status of {status} "
            if path == expected_path and message.text.startswith(provoked):
                return
        self.problems.append(f"console {message.type}: {message.text}")

    def _failed(self, request: Request) -> None:
        self.problems.append(f"failed: {request.method} {request.url} ({request.failure})")

    def _request(self, request: Request) -> None:
        if not request.url.startswith((self.origin + "/", f"blob:{self.origin}/", "data:")):
            self.problems.append(f"left the origin: {request.url}")

    def _response(self, response: Response) -> None:
        path = httpx.URL(response.url).path
        if response.status >= 400 and (response.status, path) not in self.expected_statuses:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {path}")


def open_console(
    browser: Browser,
    url: str,
    key: str,
    viewport: dict[str, int],
    color_scheme: Literal["light", "dark"] = "light",
) -> tuple[Page, BrowserLog]:
    """A new page at ``url`` + ``/``, signed in with ``key`` through the console's dialog."""
    page = browser.new_page(
        viewport={"width": viewport["width"], "height": viewport["height"]},
        color_scheme=color_scheme,
    )
    page.set_default_timeout(30_000)
    log = BrowserLog(url)
    log.attach(page)
    page.goto(url + "/")
    page.get_by_label("Key", exact=True).fill(key)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Sessions", level=1).wait_for()
    return page, log


def shoot(page: Page, folder: Path, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot of ``page`` as ``folder/name.png``."""
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)
