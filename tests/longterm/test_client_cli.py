"""`memory-api index|query|state|stats` against a running server: output and exit codes."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from memory_api.settings import Settings
from memory_api.testing.server import ServerProcess, cli_path

pytestmark = pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)


@pytest.fixture
def server(lt_settings: Settings, tmp_path: Path, docs: Path) -> Iterator[ServerProcess]:
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_INDEX_ROOTS=str(docs),
        MEMORY_API_EMBEDDING_MODEL_DIR=str(lt_settings.embedding_model_dir),
        MEMORY_API_JOB_POLL_INTERVAL="0.2",
        MEMORY_API_API_KEYS="cli-key",
    )
    with ServerProcess(env, tmp_path / "server.log") as running:
        yield running


def run(
    server: ServerProcess, *args: str, key: str = "cli-key", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**server.env, "MEMORY_API_URL": server.url, "MEMORY_API_KEY": key, "COLUMNS": "200"}
    return subprocess.run(
        [cli_path(), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=180
    )


def test_cli_round_trip(server: ServerProcess, docs: Path) -> None:
    (docs / "volcano.md").write_text("Volcanoes erupt lava, ash and gas from the mantle.")
    (docs / "skip.rst").write_text("ignored")
    (docs / "blob.md").write_bytes(b"\x00\x01\x02 not text")
    # A relative path is the caller's: the CLI sends it absolute (the server would resolve it
    # against its own working directory).
    indexed = run(server, "index", ".", "--ext", ".md", "--wait", cwd=docs)
    assert indexed.returncode == 0, indexed.stderr
    lines = indexed.stdout.splitlines()
    assert lines[0].startswith("completed: Indexed 1 files"), indexed.stdout  # no blank line first
    assert lines[1:] == ["  failed blob.md: binary file"]
    assert indexed.stderr == ""  # no progress bar outside a terminal

    table = run(server, "query", "molten rock eruptions", "-k", "1")
    assert table.returncode == 0 and "volcano.md" in table.stdout and "1 result in" in table.stdout
    as_json = json.loads(run(server, "query", "molten rock", "--json").stdout)
    assert as_json["results"][0]["metadata"]["relative_path"] == "volcano.md"
    where = '{"relative_path": "other.md"}'
    filtered = json.loads(run(server, "query", "molten rock", "--filter", where, "--json").stdout)
    assert filtered["results"] == []

    assert run(server, "state", "put", "cli-s", '{"a": [1, 2]}').returncode == 0
    assert json.loads(run(server, "state", "get", "cli-s").stdout)["state_data"] == {"a": [1, 2]}
    listed = json.loads(run(server, "state", "list", "--limit", "5").stdout)
    assert [s["session_id"] for s in listed] == ["cli-s"]
    assert run(server, "state", "delete", "cli-s").returncode == 0
    stats = run(server, "stats")
    assert stats.returncode == 0 and "documents    1" in stats.stdout
    assert "  .md        1 document, 1 chunk\n" in stats.stdout
    assert json.loads(run(server, "stats", "--json").stdout)["chunks"] == 1


def test_status_of_a_job(server: ServerProcess, docs: Path) -> None:
    (docs / "a.md").write_text("Glaciers carve valleys.")
    (docs / "b.md").write_bytes(b"\x00binary")
    started = run(server, "index", str(docs))
    assert started.returncode == 0, started.stderr
    task_id = started.stdout.split()[1]
    assert started.stdout == (
        f"job {task_id} started; follow it with: memory-api status {task_id}\n"
    )
    deadline = time.monotonic() + 120
    while True:
        status = json.loads(run(server, "status", task_id, "--json").stdout)
        if status["status"] in {"completed", "failed"}:
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.3)
    shown = run(server, "status", task_id)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        f"{task_id} 100%",
        f"completed: {status['details']}",
        "  failed b.md: binary file",
    ]
    missing = run(server, "status", "no-such-task")
    assert missing.returncode == 1
    assert missing.stderr == "memory-api: HTTP 404: No indexing task with this id\n"


def test_options_before_or_after_the_action_and_text_shown_verbatim(
    server: ServerProcess, docs: Path
) -> None:
    env = {k: v for k, v in server.env.items() if not k.startswith("MEMORY_API_")}
    env["COLUMNS"] = "200"
    options = ["--url", server.url, "--api-key", "cli-key"]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [cli_path(), *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)

    assert cli("state", *options, "put", "s1", '{"n": 1}').returncode == 0
    before = cli("state", *options, "get", "s1")
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout)["state_data"] == {"n": 1}
    after = cli("state", "get", "s1", *options)
    assert after.returncode == 0 and json.loads(after.stdout)["state_data"] == {"n": 1}

    (docs / "[bold]markup.md").write_text("Glaciers carve valleys [/x] [bold]slowly[/bold].")
    assert cli("index", *options, str(docs), "--wait").returncode == 0
    table = cli("query", *options, "glaciers carving valleys", "-k", "1")
    assert table.returncode == 0, table.stderr
    assert "[/x] [bold]slowly[/bold]" in table.stdout
    assert "[bold]markup.md" in table.stdout


def test_cli_errors_are_one_line_and_non_zero(server: ServerProcess) -> None:
    for args, key, expected in (
        (("state", "get", "missing"), "cli-key", "Session not found"),
        (("state", "put", "x", "not json"), "cli-key", "invalid JSON"),
        (("stats",), "wrong-key", "401"),
        (("index", "/etc"), "cli-key", "MEMORY_API_INDEX_ROOTS"),
        (("query", "x", "--filter", "[1]"), "cli-key", "--filter must be a JSON object"),
    ):
        result = run(server, *args, key=key)
        assert result.returncode != 0, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("memory-api: "), result.stderr
        assert expected in lines[0]
    # A 422 reads as the field and the problem, one item per error, not a Python repr.
    invalid = run(server, "query", "", "-k", "0")
    assert invalid.returncode == 1
    assert invalid.stderr == (
        "memory-api: HTTP 422: query: String should have at least 1 character; "
        "top_k: Input should be greater than or equal to 1\n"
    )
    bad_filter = run(server, "query", "x", "--filter", '{"$x": 1}')
    assert bad_filter.stderr == (
        "memory-api: HTTP 422: filter_metadata: '$x' is neither a metadata field nor $and / $or\n"
    )
    server.stop()
    down = run(server, "stats")
    assert down.returncode != 0
    assert down.stderr == (
        f"memory-api: no answer from {server.url}/rag_stats "
        "(ConnectError: [Errno 111] Connection refused)\n"
    )


def test_cli_jobs_and_cancel(server: ServerProcess, docs: Path) -> None:
    (docs / "volcano.md").write_text("Volcanoes erupt lava, ash and gas from the mantle.")
    assert run(server, "index", str(docs), "--wait").returncode == 0
    [done] = json.loads(run(server, "jobs", "--json").stdout)
    assert (done["status"], done["directory"]) == ("completed", str(docs))
    listed = run(server, "jobs")
    assert listed.returncode == 0
    assert listed.stdout.startswith(f"{done['task_id']}  completed   100%  ")
    assert run(server, "jobs", "--status", "pending").stdout == (
        "no indexing jobs with status pending\n"
    )
    finished = run(server, "cancel", done["task_id"])
    assert finished.returncode == 1
    assert finished.stderr.strip().startswith("memory-api: ")
    assert "already completed" in finished.stderr

    for i in range(40):
        (docs / f"doc{i}.txt").write_text(f"Document {i}. " + "lorem ipsum dolor sit amet " * 300)
    assert run(server, "index", str(docs), "--force").returncode == 0
    job = json.loads(run(server, "jobs", "--json", "--limit", "1").stdout)[0]
    cancelled = run(server, "cancel", job["task_id"])
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.startswith(f"job {job['task_id']}: cancel")
    deadline = time.monotonic() + 120
    while job["status"] in {"pending", "in_progress"}:
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = json.loads(run(server, "jobs", "--json", "--limit", "1").stdout)[0]
    assert (job["status"], job["cancel_requested"]) == ("failed", True), job
    assert job["details"].startswith("Cancelled"), job
