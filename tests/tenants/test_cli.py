"""``memory-api tenant delete --confirm NAME`` against a running server (the sync SDK)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from memory_api.db.migrate import upgrade
from memory_api.settings import Settings
from memory_api.tenants.repository import ERASURES
from memory_api.testing.server import ServerProcess, cli_path

KEYS = {"acme": "acme-cli-key", "globex": "globex-cli-key"}


@pytest.fixture
def server(tmp_path: Path, model_dir: Path) -> Iterator[ServerProcess]:
    root = tmp_path / "acme-docs"
    root.mkdir()
    (root / "comets.md").write_text("Comets grow tails near the sun.")
    upgrade(Settings(_env_file=None, data_dir=tmp_path / "data"))  # type: ignore[call-arg]
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_INDEX_ROOTS=f"acme:{root}",
        MEMORY_API_EMBEDDING_MODEL_DIR=str(model_dir),
        MEMORY_API_JOB_POLL_INTERVAL="0.2",
        MEMORY_API_API_KEYS=",".join(f"{tenant}:{key}" for tenant, key in KEYS.items()),
    )
    with ServerProcess(env, tmp_path / "server.log") as running:
        yield running


def run(server: ServerProcess, tenant: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**server.env, "MEMORY_API_URL": server.url, "MEMORY_API_KEY": KEYS[tenant]}
    return subprocess.run([cli_path(), *args], env=env, capture_output=True, text=True, timeout=180)


def test_tenant_delete(server: ServerProcess) -> None:
    for tenant in KEYS:
        assert run(server, tenant, "state", "put", "same", f'{{"of": "{tenant}"}}').returncode == 0
    indexed = run(server, "acme", "index", "--wait")
    assert indexed.returncode == 0 and indexed.stdout.startswith("completed"), indexed.stderr

    wrong = run(server, "acme", "tenant", "delete", "--confirm", "globex")
    assert (wrong.returncode, wrong.stdout) == (1, "")
    assert wrong.stderr == (
        "memory-api: HTTP 409: confirm='globex' does not name your tenant: repeat it as "
        "confirm='acme' to erase everything tenant 'acme' owns\n"
    )
    assert run(server, "acme", "state", "get", "same").returncode == 0

    erased = run(server, "acme", "tenant", "delete", "--confirm", "acme")
    assert erased.returncode == 0, erased.stderr
    # One line: "tenant acme erased: chunks 1, collections 1, ..." (every counted kind).
    head, _, counts = erased.stdout.partition(": ")
    assert head == "tenant acme erased" and counts.endswith("\n") and counts.count("\n") == 1
    deleted = {kind: int(n) for kind, n in (item.split(" ") for item in counts.split(", "))}
    kinds = {e.name for e in ERASURES if e.counted} | {"vectors"}
    assert list(deleted) == sorted(kinds)
    known = ["chunks", "collections", "documents", "jobs", "sessions", "vectors"]
    assert {kind: deleted[kind] for kind in known} == dict.fromkeys(known, 1)
    again = run(server, "acme", "tenant", "delete", "--confirm", "acme", "--json")
    assert json.loads(again.stdout) == {"tenant": "acme", "deleted": dict.fromkeys(deleted, 0)}
    assert run(server, "acme", "state", "get", "same").returncode == 1
    kept = run(server, "globex", "state", "get", "same")
    assert json.loads(kept.stdout)["state_data"] == {"of": "globex"}
