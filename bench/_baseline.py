"""The service as of an older git ref, served beside today's for a benchmark: its tree checked
out (``git worktree add --detach``) into a temporary directory and its own ``memory-api serve``
run with ``PYTHONPATH=<tree>/src`` on the same virtualenv (the older code's dependencies are
a subset of today's), on a database of its own (its schema is the older one)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench._common import MODEL_DIR, REPO
from memory_api.testing.server import ServerProcess

#: the last commit before state versions and ETags (issue 15's "today's throughput")
DEFAULT_REF = "c34d7ae"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()


@contextmanager
def checkout(ref: str, into: Path) -> Iterator[tuple[Path, str]]:
    """``ref``'s tree at ``into`` and its full commit hash; the worktree is removed after."""
    commit = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    _git("worktree", "add", "--detach", str(into), commit)
    try:
        yield into, commit
    finally:
        _git("worktree", "remove", "--force", str(into))


@contextmanager
def baseline_server(
    ref: str, tmp: Path, database: str, *args: str, **env: str
) -> Iterator[tuple[ServerProcess, str]]:
    """``memory-api serve`` of ``ref`` on ``database`` (started; ``args`` and ``env`` its
    options and settings) and the commit it runs."""
    with checkout(ref, tmp / "baseline-tree") as (tree, commit):
        environment = ServerProcess.base_env(
            tmp / "baseline",
            MEMORY_API_DATABASE_URL=database,
            MEMORY_API_EMBEDDING_MODEL_DIR=MODEL_DIR,
            PYTHONPATH=str(tree / "src"),
            **env,
        )
        # the package the server imports must be the older tree's, not this checkout's
        imported = subprocess.run(
            [sys.executable, "-c", "import memory_api; print(memory_api.__file__)"],
            env=environment,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not Path(imported).resolve().is_relative_to(tree.resolve()):
            raise RuntimeError(f"the baseline server would import {imported}, not {tree}")
        server = ServerProcess(environment, tmp / "baseline-server.log", *args)
        server.start()
        try:
            yield server, commit
        finally:
            server.stop()
