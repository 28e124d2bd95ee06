"""Authentication yields a principal: the key's tenant (``tenant:key`` entries) and its id."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from memory_api.auth.keys import DEFAULT_TENANT, key_id, parse_entry, parse_keys
from memory_api.auth.middleware import APIKeyMiddleware
from memory_api.auth.principal import Principal, PrincipalDep
from memory_api.settings import Settings


@pytest.mark.parametrize(
    ("entry", "tenant", "secret"),
    [
        ("plain-key", DEFAULT_TENANT, b"plain-key"),
        ("acme:s3cret", "acme", b"s3cret"),
        ("acme:a:b", "acme", b"a:b"),
        ("default:x:y", DEFAULT_TENANT, b"x:y"),
        # Not a tenant name before the colon: the whole entry is the key.
        ("Acme:s3cret", DEFAULT_TENANT, b"Acme:s3cret"),
        ("-x:s3cret", DEFAULT_TENANT, b"-x:s3cret"),
        ("acme:", DEFAULT_TENANT, b"acme:"),
        ("clé:ünï", DEFAULT_TENANT, "clé:ünï".encode()),
    ],
)
def test_entries_name_their_tenant(entry: str, tenant: str, secret: bytes) -> None:
    key = parse_entry(entry)
    assert (key.tenant, key.secret, key.key_id) == (tenant, secret, key_id(secret))


def test_key_ids_tell_keys_apart_and_reveal_nothing() -> None:
    one, two = parse_entry("acme:first-key"), parse_entry("acme:second-key")
    assert one.key_id != two.key_id
    assert len(one.key_id) == 12 and "first" not in one.key_id


def test_one_key_for_two_tenants_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="two tenants"):
        parse_keys(["acme:same", "globex:same"])
    with pytest.raises(ValidationError, match="MEMORY_API_API_KEYS: one key is given to two"):
        Settings(_env_file=None, data_dir=tmp_path, api_keys="acme:same,same")  # type: ignore[call-arg]


def _echo_app(entries: list[str] | None) -> FastAPI:
    app = FastAPI()

    @app.get("/whoami")
    async def whoami(principal: PrincipalDep) -> dict[str, str | None]:
        return {"tenant": principal.tenant, "key_id": principal.key_id}

    if entries is not None:
        app.add_middleware(APIKeyMiddleware, keys=parse_keys(entries))
    return app


async def _whoami(app: FastAPI, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/whoami", headers=headers)


async def test_the_matching_key_decides_the_principal() -> None:
    app = _echo_app(["acme:acme-key", "globex:globex-key", "plain-key"])
    for headers, tenant, secret in [
        ({"Authorization": "Bearer acme-key"}, "acme", b"acme-key"),
        ({"X-API-Key": "globex-key"}, "globex", b"globex-key"),
        ({"X-API-Key": "plain-key"}, DEFAULT_TENANT, b"plain-key"),
        # A wrong X-API-Key beside a valid Bearer: the valid one decides.
        ({"X-API-Key": "nope", "Authorization": "Bearer acme-key"}, "acme", b"acme-key"),
    ]:
        response = await _whoami(app, headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"tenant": tenant, "key_id": key_id(secret)}
    assert (await _whoami(app, {"X-API-Key": "acme:acme-key"})).status_code == 401


async def test_without_keys_everything_is_the_default_tenant() -> None:
    response = await _whoami(_echo_app(None), {"X-API-Key": "anything"})
    assert response.json() == {"tenant": DEFAULT_TENANT, "key_id": None}
    assert Principal(DEFAULT_TENANT) == Principal("default", None)
