"""The console's routes over ASGI: ``/`` -> ``/ui``, the shell and every asset it loads, the
bounds of the asset route, the offline ``/docs`` and ``/redoc``, and which of them are public."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from memory_api.app import create_app
from memory_api.console.assets import CONSOLE_CSP, STATIC_DIR
from memory_api.settings import Settings

KEY = "console-key-0123456789"
# What the shell and its modules reference: src/href attributes, and ES module imports.
REFERENCE = re.compile(r'(?:src|href)="([^"#]+)"|from "(\./[^"]+)"|import\("(\./[^"]+)"\)')


def _client(tmp_path: Path, **overrides: str) -> httpx.AsyncClient:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", **overrides)  # type: ignore[call-arg]
    # No lifespan: these routes touch no component, so no database or model is needed.
    transport = httpx.ASGITransport(app=create_app(settings, run_worker=False))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(tmp_path) as http:
        yield http


@pytest.fixture
async def keyed(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(tmp_path, api_keys=KEY) as http:
        yield http


async def test_root_redirects_to_the_console(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/ui"


async def test_the_shell_and_every_asset_it_loads_are_served(client: httpx.AsyncClient) -> None:
    shell = await client.get("/ui")
    assert shell.status_code == 200
    assert shell.headers["content-type"] == "text/html; charset=utf-8"
    assert shell.headers["content-security-policy"] == CONSOLE_CSP
    assert shell.headers["x-content-type-options"] == "nosniff"

    # Follow every reference from the shell through the modules it imports.
    seen: dict[str, str] = {}
    pending = [("/ui", shell.text)]
    while pending:
        base, text = pending.pop()
        for match in REFERENCE.finditer(text):
            reference = next(group for group in match.groups() if group)
            url = str(httpx.URL("http://test" + base).join(reference).path)
            if url in seen:
                continue
            assert url.startswith(("/ui/assets/", "/docs")), f"{base} loads {reference}"
            response = await client.get(url)
            assert response.status_code == 200, url
            seen[url] = response.headers["content-type"]
            if url.endswith(".js"):
                pending.append((url, response.text))
    modules = {url for url in seen if url.endswith(".js")}
    assert {p.relative_to(STATIC_DIR).as_posix() for p in (STATIC_DIR / "js").glob("*.js")} == {
        url.removeprefix("/ui/assets/") for url in modules
    }, "every module is reachable from the shell"
    assert {seen[url] for url in modules} == {"text/javascript; charset=utf-8"}
    assert seen["/ui/assets/console.css"] == "text/css; charset=utf-8"
    assert seen["/ui/assets/favicon.svg"] == "image/svg+xml"


def test_the_console_loads_nothing_from_elsewhere() -> None:
    """No CDN, font or script host: the only absolute URL in our files is the SVG namespace."""
    own = [p for p in STATIC_DIR.rglob("*") if p.is_file() and "vendor" not in p.parts]
    assert len(own) >= 10
    for path in own:
        text = path.read_text()
        urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, (path.name, urls)


@pytest.mark.parametrize(
    "path",
    [
        "/ui/assets/%2e%2e/routes.py",  # decoded to "..": the package's own source
        "/ui/assets/%2e%2e/%2e%2e/settings.py",
        "/ui/assets/",
        "/ui/assets/js",
        "/ui/assets/nope.js",
        "/ui/assets//etc/passwd",
    ],
)
async def test_nothing_outside_the_static_files_is_served(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "No such console asset"}


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        (
            "/docs",
            {
                "/ui/assets/vendor/swagger-ui/swagger-ui-bundle.js",
                "/ui/assets/vendor/swagger-ui/swagger-ui.css",
                "/ui/assets/vendor/swagger-ui/favicon-32x32.png",
            },
        ),
        (
            "/redoc",
            {
                "/ui/assets/vendor/redoc/redoc.standalone.js",
                "/ui/assets/vendor/swagger-ui/favicon-32x32.png",
            },
        ),
    ],
)
async def test_api_docs_load_their_assets_from_the_service(
    client: httpx.AsyncClient, page: str, assets: set[str]
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    referenced = set(re.findall(r'(?:src|href)="([^"]+)"', response.text))
    assert referenced == assets  # FastAPI's default pages name a CDN here
    assert "fonts.googleapis" not in response.text
    for asset in assets:
        served = await client.get(asset)
        assert served.status_code == 200, asset
        vendored = STATIC_DIR / asset.removeprefix("/ui/assets/")
        assert served.content == vendored.read_bytes()
    assert (await client.get("/docs/oauth2-redirect")).status_code == 200


async def test_config_says_whether_a_key_is_needed(
    client: httpx.AsyncClient, keyed: httpx.AsyncClient
) -> None:
    assert (await client.get("/ui/config")).json() == {"auth_required": False, "version": "0.1.0"}
    assert (await keyed.get("/ui/config")).json() == {"auth_required": True, "version": "0.1.0"}


async def test_with_keys_the_shell_is_public_and_the_docs_are_not(
    keyed: httpx.AsyncClient,
) -> None:
    public = ("/", "/ui", "/ui/config", "/ui/assets/js/app.js", "/ui/assets/vendor/redoc/LICENSE")
    for path in public:
        assert (await keyed.get(path)).status_code in (200, 307), path
    for path in ("/docs", "/redoc", "/openapi.json", "/ui/", "/uix", "/sessions"):
        response = await keyed.get(path)
        assert response.status_code == 401, path
    assert (await keyed.get("/docs", headers={"X-API-Key": KEY})).status_code == 200
