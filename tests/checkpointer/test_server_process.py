"""``MemoryAPISaver``'s sync methods against a real server process: a conversation carried on
by another process and across a restart, and a SIGKILL between two steps."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.types import Command

from memory_api.client import TransportError
from memory_api.langgraph import MemoryAPISaver
from memory_api.testing.server import ServerProcess

from .graphs import chat_graph, review_graph, transcript

GRAPHS = Path(__file__).with_name("graphs.py")
README = Path(__file__).resolve().parents[2] / "README.md"

pytestmark = pytest.mark.slow  # subprocess servers


def readme_example() -> str:
    section = README.read_text().split("## LangGraph checkpointer", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.fixture
def saver(server: ServerProcess, tenant_key: tuple[str, str]) -> Iterator[MemoryAPISaver]:
    with MemoryAPISaver(url=server.url, api_key=tenant_key[1]) as checkpointer:
        yield checkpointer


def config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def test_conversation_resumes_in_another_process_after_a_restart(
    server: ServerProcess, tenant_key: tuple[str, str], saver: MemoryAPISaver
) -> None:
    thread_id = f"user-{uuid.uuid4().hex}"
    first = subprocess.run(
        [sys.executable, str(GRAPHS), server.url, tenant_key[1], thread_id, "hello"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "turn 1: hello"

    server.stop()
    server.start(ready_path="/health")
    result = chat_graph(saver).invoke({"messages": [HumanMessage("again")]}, config(thread_id))
    assert transcript(result["messages"]) == [
        ("human", "hello"),
        ("ai", "turn 1: hello"),
        ("human", "again"),
        ("ai", "turn 2: again"),
    ]


def test_sigkill_between_two_steps_loses_no_acknowledged_checkpoint(
    server: ServerProcess, saver: MemoryAPISaver
) -> None:
    thread_id = f"review-{uuid.uuid4().hex}"
    graph = review_graph(saver)
    # Runs write, then stops at review's interrupt(): every checkpoint so far was answered 2xx.
    graph.invoke({"draft": "ship it", "verdict": ""}, config(thread_id))
    acknowledged = [t.checkpoint["id"] for t in saver.list(config(thread_id))]
    assert len(acknowledged) == 3  # input, after write, before review

    server.kill()
    with pytest.raises(TransportError):
        graph.get_state(config(thread_id))
    server.start(ready_path="/health")

    assert [t.checkpoint["id"] for t in saver.list(config(thread_id))] == acknowledged
    state = graph.get_state(config(thread_id))
    assert state.next == ("review",)
    assert graph.invoke(Command(resume="approved"), config(thread_id)) == {
        "draft": "SHIP IT",
        "verdict": "approved: SHIP IT",
    }


def in_run(thread_id: str, run_id: str) -> dict[str, Any]:
    """A run's config as LangGraph's server sends it: the run id in the metadata, which the
    checkpoints' metadata takes up."""
    return {**config(thread_id), "metadata": {"run_id": run_id}}


def _ids(saver: MemoryAPISaver, thread_id: str, namespace: str | None = "") -> list[str]:
    configurable = {"thread_id": thread_id}
    if namespace is not None:
        configurable["checkpoint_ns"] = namespace
    return [t.checkpoint["id"] for t in saver.list({"configurable": configurable})]


def test_sync_thread_operations(saver: MemoryAPISaver) -> None:
    run = f"run-{uuid.uuid4().hex}"
    source, target, other = (f"{name}-{uuid.uuid4().hex}" for name in ("src", "dst", "other"))
    graph = chat_graph(saver)
    for thread_id in (source, other):
        graph.invoke({"messages": [HumanMessage("one")]}, config(thread_id))
        graph.invoke({"messages": [HumanMessage("two")]}, in_run(thread_id, uuid.uuid4().hex))
    graph.invoke({"messages": [HumanMessage("three")]}, in_run(source, run))
    written = _ids(saver, source)
    assert len(written) == 9

    saver.copy_thread(source, target)
    assert _ids(saver, target) == written

    saver.delete_for_runs([run])
    assert _ids(saver, source) == written[3:]  # turn 3's three checkpoints were that run's
    # the copy carries the run's metadata: its checkpoints are the run's too
    assert _ids(saver, target) == written[3:]

    saver.prune([target], strategy="keep_latest")
    assert _ids(saver, target) == written[3:4]
    saver.delete_thread(source)
    assert _ids(saver, source, namespace=None) == []
    assert len(_ids(saver, other)) == 6


def test_the_readme_example_runs_as_documented(
    server: ServerProcess, tenant_key: tuple[str, str], tmp_path: Path
) -> None:
    """The README's graph, run as a script against a server (its URL and key from the
    environment, as the README says they may come)."""
    script = tmp_path / "example.py"
    script.write_text(readme_example().replace('url="http://127.0.0.1:8001"', ""))
    result = subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "MEMORY_API_URL": server.url, "MEMORY_API_KEY": tenant_key[1]},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(
        [
            "Capital of France?",
            "Paris.",
            "approved: yes",
            "How many live there?",
            "About 2.1 million people.",
            "approved: yes",
        ]
    )
