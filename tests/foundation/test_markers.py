"""The markers select what they say: ``-m "not postgres"`` leaves out every PostgreSQL test,
``-m model`` selects the tests of the real model (tests/conftest.py applies them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Prints every test pytest kept or deselected, with its markers.
PLUGIN = """
import pytest

def _show(kind, items):
    for item in items:
        print(kind, item.nodeid, ",".join(sorted(m.name for m in item.iter_markers())))

def pytest_deselected(items):
    _show("DESELECTED", items)

@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    _show("SELECTED", session.items)
"""


@pytest.mark.slow  # collects the whole suite in a subprocess
def test_markers_follow_what_a_test_uses(tmp_path: Path) -> None:
    (tmp_path / "show_markers.py").write_text(PLUGIN)
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [*command, "-p", "show_markers", "-m", "not postgres"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    selected: dict[str, set[str]] = {}
    deselected: dict[str, set[str]] = {}
    for line in result.stdout.splitlines():
        kind, _, rest = line.partition(" ")
        if kind in {"SELECTED", "DESELECTED"}:
            nodeid, _, markers = rest.rpartition(" ")
            found = selected if kind == "SELECTED" else deselected
            found[nodeid] = set(filter(None, markers.split(",")))

    def marked(name: str) -> set[str]:
        return {i for i, markers in {**selected, **deselected}.items() if name in markers}

    postgres_params = {i for i in [*selected, *deselected] if "[postgres" in i}
    assert len(postgres_params) > 50
    assert postgres_params <= set(deselected)  # -m "not postgres" selects none of them
    assert set(deselected) == marked("postgres")
    assert "tests/state/test_state_api.py::test_store_then_retrieve[sqlite]" in selected
    # Tests that take postgres_url directly, and a module marked as a whole.
    assert any("test_db_outage.py" in i for i in deselected)
    assert not any("test_db_outage.py" in i or "test_outages.py" in i for i in selected)

    model = marked("model")
    assert "tests/embeddings/test_local.py::test_matches_chromas_own_runner" in model
    assert "tests/longterm/test_check.py::test_drift_is_reported_and_repaired[sqlite-embedded]" in (
        model
    )
    assert any(i.startswith("tests/fuzz/test_schemathesis.py::") for i in model)
    assert not any(i.startswith("tests/state/") for i in model)

    chroma = marked("chroma_server")
    assert "tests/vectorstore/test_chroma.py::test_a_server_that_stops_answering_times_out" in (
        chroma
    )
    vectorstore = [i for i in selected if i.startswith("tests/vectorstore/")]
    assert {i for i in vectorstore if i.endswith("[server]")} <= chroma
    assert not any(i.endswith("[embedded]") for i in chroma)
    assert "tests/longterm/test_rag_api.py::test_rag_stats[postgres-server]" in chroma

    assert len([i for i in marked("slow") if "test_schemathesis.py" in i]) >= 12
