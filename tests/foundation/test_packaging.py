"""The built wheel carries the migrations (`memory-api migrate` works from an installed package)
and the console's static files."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_ships_migrations_and_migrates(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("memory_api-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "memory_api/db/migrations/env.py",
        "memory_api/db/migrations/script.py.mako",
        "memory_api/db/migrations/versions/0001_session_states.py",
        "memory_api/db/migrations/versions/0002_documents_chunks_jobs.py",
        # The console and the offline API docs: served from the package, no CDN, no Node.js.
        "memory_api/console/static/index.html",
        "memory_api/console/static/js/app.js",
        "memory_api/console/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "memory_api/console/static/vendor/swagger-ui/LICENSE",
        "memory_api/console/static/vendor/redoc/redoc.standalone.js",
        "memory_api/console/static/vendor/redoc/LICENSE",
    ):
        assert required in names

    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_API_")}
    env.update(PYTHONPATH=str(installed), MEMORY_API_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import memory_api.cli as c, sys; print(c.__file__); sys.exit(c.main(['migrate']))",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(installed))  # the wheel's code, not the source tree
    assert (tmp_path / "data" / "memory.db").exists()


def test_constraints_pin_every_dependency_within_its_range() -> None:
    """constraints.txt (scripts/lock) pins what pyproject.toml asks for, and every install uses
    it: a dependency added without refreshing the lock fails here."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[canonicalize_name(name)] = version
    extras = project["optional-dependencies"]
    wanted = [*project["dependencies"], *(r for extra in extras.values() for r in extra)]
    for requirement in map(Requirement, wanted):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in constraints.txt: run scripts/lock"
        assert requirement.specifier.contains(pins[name]), (name, pins[name])
    assert '-c "$ROOT/constraints.txt"' in (REPO / "scripts" / "bootstrap.sh").read_text()
    assert "pip install --no-cache-dir -c constraints.txt ." in (REPO / "Dockerfile").read_text()


LANGGRAPH_BLOCKER = """
import importlib.abc, sys

class NoLangGraph(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "langgraph":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoLangGraph())
"""


def test_the_core_install_does_not_need_langgraph() -> None:
    """LangGraph comes with the ``langgraph`` extra only: the core's requirements name none of
    it, the service imports and builds without it, and ``memory_api.langgraph`` says which
    extra to install."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    core = {Requirement(r).name for r in project["dependencies"]}
    assert not {name for name in core if name.startswith("langgraph")}
    assert {Requirement(r).name for r in project["optional-dependencies"]["langgraph"]} == {
        "langgraph",
        "langgraph-checkpoint",
    }
    script = LANGGRAPH_BLOCKER + (
        "import memory_api.app, memory_api.cli\n"
        "memory_api.app.create_app()\n"
        "try:\n"
        "    import memory_api.langgraph\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_API_")}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "memory_api.langgraph needs LangGraph (langgraph is missing): "
        'pip install "memory-api[langgraph]"'
    )
