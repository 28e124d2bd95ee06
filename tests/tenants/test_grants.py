"""A tenant indexes only the folders granted to it: ``MEMORY_API_INDEX_ROOTS`` entries
``tenant:/path``; plain entries (and the default root) are the default tenant's."""

from __future__ import annotations

from pathlib import Path

import pytest

from memory_api.settings import Settings
from memory_api.tenants.grants import IndexRoot, parse_root
from memory_api.testing.jobs import wait_for_job
from memory_api.testing.tenants import Tenants


@pytest.mark.parametrize(
    ("entry", "tenant", "path"),
    [
        ("/srv/docs", "default", "/srv/docs"),
        ("acme:/srv/acme", "acme", "/srv/acme"),
        (" acme: /srv/acme ", "acme", "/srv/acme"),
        ("default:/srv/a:b", "default", "/srv/a:b"),
        # Not a tenant name before the colon: the whole entry is the default tenant's path.
        ("Acme:/srv/x", "default", "Acme:/srv/x"),
        ("/srv/a:b", "default", "/srv/a:b"),
        ("acme:", "default", "acme:"),
    ],
)
def test_entries_name_their_tenant(entry: str, tenant: str, path: str) -> None:
    assert parse_root(entry) == IndexRoot(tenant, Path(path))


def test_roots_per_tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    monkeypatch.setenv("MEMORY_API_INDEX_ROOTS", f"acme:{a},{b},acme:{c}")
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.index_roots_for("acme") == [a, c]
    assert settings.index_roots_for("default") == settings.resolved_index_roots == [b]
    assert settings.index_roots_for("globex") == []
    monkeypatch.setenv("MEMORY_API_INDEX_ROOTS", f'["globex:{a}"]')
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.index_roots_for("globex") == [a]
    # Only tenant entries: the default tenant has no root (not even <data dir>/documents).
    assert settings.index_roots_for("default") == []
    monkeypatch.delenv("MEMORY_API_INDEX_ROOTS")
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.index_roots_for("default") == [tmp_path / "documents"]
    assert settings.index_roots_for("acme") == []


async def test_a_tenant_indexes_only_its_roots(tenants: Tenants) -> None:
    acme, roots = tenants.client("acme"), tenants.roots
    (roots["acme"] / "a.md").write_text("acme's own notes about rockets")
    (roots["globex"] / "g.md").write_text("globex's notes")

    for other in ("globex", "default"):
        refused = await acme.post("/index_files", json={"directory": str(roots[other])})
        assert refused.status_code == 403, refused.text
        assert refused.json() == {
            "detail": f"directory {str(roots[other])!r} is outside the allowed index roots "
            f"of tenant 'acme' (MEMORY_API_INDEX_ROOTS): {roots['acme']}"
        }
    # A path that climbs out of the granted root is resolved first, then refused.
    climbing = str(roots["acme"] / ".." / roots["globex"].name)
    assert (await acme.post("/index_files", json={"directory": climbing})).status_code == 403

    # No directory: the tenant's first root, not the service's.
    started = await acme.post("/index_files", json={})
    assert started.status_code == 202, started.text
    done = await wait_for_job(acme, started.json()["status_url"])
    assert (done["status"], done["result"]["indexed"]) == ("completed", 1), done
    found = await acme.post("/rag_query", json={"query": "rockets", "mode": "semantic"})
    assert [r["metadata"]["source"] for r in found.json()["results"]] == [
        str(roots["acme"] / "a.md")
    ]
    # Plain entries are the default tenant's: the old single-tenant setup keeps working.
    default = tenants.client("default")
    plain = await default.post("/index_files", json={"directory": str(roots["default"])})
    assert plain.status_code == 202, plain.text
    assert (
        (await default.post("/index_files", json={"directory": str(roots["acme"])}))
        .json()["detail"]
        .startswith(f"directory {str(roots['acme'])!r} is outside the allowed index roots")
    )
    await wait_for_job(default, plain.json()["status_url"])


async def test_a_tenant_granted_nothing_indexes_nothing(tenants: Tenants) -> None:
    initech = tenants.client("initech")
    for body in ({}, {"directory": str(tenants.roots["default"])}):
        refused = await initech.post("/index_files", json=body)
        assert refused.status_code == 403, refused.text
        assert refused.json() == {
            "detail": "tenant 'initech' may not index any directory: no entry of "
            "MEMORY_API_INDEX_ROOTS grants it one (write initech:/path)"
        }
    jobs = await initech.get("/index_jobs")
    assert jobs.json() == []
