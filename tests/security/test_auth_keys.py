"""How keys are read (env var, keys file) and matched (either header, trimmed, UTF-8)."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pydantic import ValidationError

from memory_api.app import create_app
from memory_api.client import MemoryClient
from memory_api.db.migrate import upgrade
from memory_api.settings import Settings
from memory_api.testing.server import ServerProcess, cli_path

GOOD = "good-key-0123456789"
UNICODE = "clé-ünïcödé-🔑-42"


def keys_from(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str) -> list[str]:
    monkeypatch.setenv("MEMORY_API_API_KEYS", value)
    return Settings(_env_file=None, data_dir=tmp_path).api_key_values  # type: ignore[call-arg]


def keys_file(tmp_path: Path, content: bytes) -> str:
    path = tmp_path / "keys"
    path.write_bytes(content)
    return f"@{path}"


def test_a_bom_is_not_part_of_the_first_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = keys_file(tmp_path, "\ufeffalpha-key\r\nbeta-key\n".encode())
    assert keys_from(monkeypatch, tmp_path, value) == ["alpha-key", "beta-key"]


def test_a_keys_file_holds_one_key_per_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = keys_file(tmp_path, b"  abc,def \n\n\tsecond key\t\n")
    assert keys_from(monkeypatch, tmp_path, value) == ["abc,def", "second key"]


def test_the_variable_holds_comma_separated_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert keys_from(monkeypatch, tmp_path, " abc , def,") == ["abc", "def"]


@pytest.mark.parametrize("value", ["", " ", " , ,", "@EMPTY", "@BLANK"])
def test_an_empty_key_set_refuses_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    value = value.replace("@EMPTY", keys_file(tmp_path, b"")).replace(
        "@BLANK", keys_file(tmp_path, b"\xef\xbb\xbf\n  \n\t\n")
    )
    with pytest.raises(ValidationError, match="names no key"):
        keys_from(monkeypatch, tmp_path, value)


def test_serve_refuses_an_empty_key_set_in_one_line(tmp_path: Path) -> None:
    env = ServerProcess.base_env(tmp_path, MEMORY_API_API_KEYS=" , ,")
    result = subprocess.run(
        [cli_path(), "serve"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "memory-api: invalid setting: MEMORY_API_API_KEYS: names no key "
        "(unset it to serve without keys)"
    ]


@pytest.fixture
def keyed_settings(tmp_path: Path) -> Settings:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "data", api_keys=f"{GOOD},{UNICODE}"
    )
    upgrade(settings)
    return settings


@pytest.fixture
async def keyed(keyed_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(keyed_settings, run_worker=False)
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def status(client: httpx.AsyncClient, headers: dict[str, bytes]) -> int:
    return (await client.get("/sessions", headers=headers)).status_code


async def test_either_valid_credential_is_enough(keyed: httpx.AsyncClient) -> None:
    good, wrong = GOOD.encode(), b"wrong-key"
    for headers, expected in (
        ({"x-api-key": wrong, "authorization": b"Bearer " + good}, 200),
        ({"x-api-key": good, "authorization": b"Bearer " + wrong}, 200),
        ({"x-api-key": wrong, "authorization": b"Bearer " + wrong}, 401),
        ({"x-api-key": b"", "authorization": b"Bearer " + good}, 200),
        ({"x-api-key": good, "authorization": b"Basic " + good}, 200),
        ({"x-api-key": wrong, "authorization": b"Basic " + good}, 401),
    ):
        assert await status(keyed, headers) == expected, headers


async def test_x_api_key_is_trimmed_like_bearer(keyed: httpx.AsyncClient) -> None:
    for value in (f"  {GOOD}", f"{GOOD}\t", f" \t{GOOD} "):
        assert await status(keyed, {"x-api-key": value.encode()}) == 200, value
        assert await status(keyed, {"authorization": f"Bearer {value}".encode()}) == 200
    assert await status(keyed, {"x-api-key": f"{GOOD} x".encode()}) == 401


async def test_non_ascii_keys_match_as_utf8(keyed: httpx.AsyncClient) -> None:
    key = UNICODE.encode()
    assert await status(keyed, {"x-api-key": key}) == 200
    assert await status(keyed, {"authorization": b"Bearer " + key}) == 200
    assert await status(keyed, {"x-api-key": UNICODE.encode("latin-1", "replace")}) == 401
    assert await status(keyed, {"x-api-key": key[:-1]}) == 401


def test_the_sdk_sends_a_non_ascii_key(tmp_path: Path) -> None:
    env = ServerProcess.base_env(tmp_path, MEMORY_API_API_KEYS=UNICODE)
    with (
        ServerProcess(env, tmp_path / "server.log") as server,
        MemoryClient(server.url, api_key=UNICODE) as client,
    ):
        client.put_state("unicode-key", {"ok": True})
        assert client.get_state("unicode-key").state_data == {"ok": True}
