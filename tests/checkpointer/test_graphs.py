"""Real LangGraph graphs on ``MemoryAPISaver`` (the app in-process, SQLite and PostgreSQL),
compared with LangGraph's own ``InMemorySaver`` where the run is deterministic."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from memory_api.langgraph import MemoryAPISaver

from .graphs import chat_graph, parent_graph, review_graph, transcript


@pytest.fixture
async def saver(app: FastAPI) -> AsyncIterator[MemoryAPISaver]:
    async with MemoryAPISaver(
        url="http://test", async_transport=httpx.ASGITransport(app=app)
    ) as checkpointer:
        yield checkpointer


def thread() -> dict[str, Any]:
    return {"configurable": {"thread_id": f"thread-{uuid.uuid4().hex}"}}


async def _chat(graph: Any, config: dict[str, Any], *texts: str) -> Any:
    result = None
    for text in texts:
        result = await graph.ainvoke({"messages": [HumanMessage(text)]}, config)
    return result


async def _history(graph: Any, config: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What identifies each snapshot apart from its random ids, newest first."""
    return [
        (
            s.metadata["source"],
            s.metadata["step"],
            s.next,
            transcript(s.values.get("messages", [])),
        )
        async for s in graph.aget_state_history(config)
    ]


async def test_multi_turn_chat_matches_langgraphs_in_memory_saver(saver: MemoryAPISaver) -> None:
    config = thread()
    ours, reference = chat_graph(saver), chat_graph(InMemorySaver())
    result = await _chat(ours, config, "hi", "how are you", "bye")
    await _chat(reference, config, "hi", "how are you", "bye")

    assert transcript(result["messages"]) == [
        ("human", "hi"),
        ("ai", "turn 1: hi"),
        ("human", "how are you"),
        ("ai", "turn 2: how are you"),
        ("human", "bye"),
        ("ai", "turn 3: bye"),
    ]
    history = await _history(ours, config)
    assert len(history) == 9  # per turn: input, loop (before chat), loop (after chat)
    assert history == await _history(reference, config)


async def test_interrupt_then_resume_with_a_new_saver(saver: MemoryAPISaver, app: FastAPI) -> None:
    config = thread()
    result = await review_graph(saver).ainvoke({"draft": "hello", "verdict": ""}, config)
    assert [i.value for i in result["__interrupt__"]] == [
        {"question": "publish?", "draft": "HELLO"}
    ]
    assert (await review_graph(saver).aget_state(config)).next == ("review",)

    # A second client: the interrupt and the run's progress live on the server only.
    async with MemoryAPISaver(
        url="http://test", async_transport=httpx.ASGITransport(app=app)
    ) as other:
        graph = review_graph(other)
        assert await graph.ainvoke(Command(resume="yes"), config) == {
            "draft": "HELLO",
            "verdict": "yes: HELLO",
        }
        state = await graph.aget_state(config)
    assert state.next == ()
    assert state.values == {"draft": "HELLO", "verdict": "yes: HELLO"}


async def test_history_update_state_and_replay(saver: MemoryAPISaver) -> None:
    config = thread()
    graph = chat_graph(saver)
    await _chat(graph, config, "a", "b")
    history = [s async for s in graph.aget_state_history(config)]
    assert len(history) == 6

    # update_state writes a checkpoint of source "update" on top of the head.
    head = history[0]
    await graph.aupdate_state(config, {"messages": [AIMessage("edited")]}, as_node="chat")
    updated = await graph.aget_state(config)
    assert transcript(updated.values["messages"])[-2:] == [("ai", "turn 2: b"), ("ai", "edited")]
    assert updated.metadata["source"] == "update"
    assert updated.parent_config is not None
    assert (
        updated.parent_config["configurable"]["checkpoint_id"]
        == head.config["configurable"]["checkpoint_id"]
    )

    # Replay: from the checkpoint before turn 2's chat node, the node runs again.
    before_chat = next(s for s in history if s.next == ("chat",) and len(s.values["messages"]) == 3)
    replayed = await graph.ainvoke(None, before_chat.config)
    assert transcript(replayed["messages"]) == [
        ("human", "a"),
        ("ai", "turn 1: a"),
        ("human", "b"),
        ("ai", "turn 2: b"),
    ]
    # Fork: new input on the checkpoint that ended turn 1.
    end_of_turn_1 = next(s for s in history if not s.next and len(s.values["messages"]) == 2)
    forked = await graph.ainvoke({"messages": [HumanMessage("c")]}, end_of_turn_1.config)
    assert transcript(forked["messages"]) == [
        ("human", "a"),
        ("ai", "turn 1: a"),
        ("human", "c"),
        ("ai", "turn 2: c"),
    ]
    assert transcript((await graph.aget_state(config)).values["messages"]) == transcript(
        forked["messages"]
    )
    # Every replayed, updated and forked checkpoint is kept, as by LangGraph's own saver.
    final = await _history(graph, config)
    assert len(final) == 12
    reference = chat_graph(InMemorySaver())
    await _chat(reference, config, "a", "b")
    ref_history = [s async for s in reference.aget_state_history(config)]
    await reference.aupdate_state(config, {"messages": [AIMessage("edited")]}, as_node="chat")
    await reference.ainvoke(None, ref_history[history.index(before_chat)].config)
    await reference.ainvoke(
        {"messages": [HumanMessage("c")]}, ref_history[history.index(end_of_turn_1)].config
    )
    assert final == await _history(reference, config)


async def test_subgraph_checkpoints_live_in_their_namespace(saver: MemoryAPISaver) -> None:
    config = thread()
    graph = parent_graph(saver)
    await graph.ainvoke({"value": "a"}, config)
    state = await graph.aget_state(config, subgraphs=True)
    child = state.tasks[0].state
    assert child is not None and not isinstance(child, dict)
    namespace = child.config["configurable"]["checkpoint_ns"]
    assert namespace.startswith("sub:")

    thread_id = config["configurable"]["thread_id"]
    stored = [t async for t in saver.alist({"configurable": {"thread_id": thread_id}})]
    assert {t.config["configurable"]["checkpoint_ns"] for t in stored} == {"", namespace}
    latest_child = await saver.aget_tuple(
        {"configurable": {"thread_id": thread_id, "checkpoint_ns": namespace}}
    )
    assert latest_child is not None
    assert latest_child.checkpoint["id"] == child.config["configurable"]["checkpoint_id"]

    assert await graph.ainvoke(Command(resume="yes"), config) == {"value": "a|child:yes"}


async def test_two_threads_run_concurrently(saver: MemoryAPISaver) -> None:
    graph = chat_graph(saver)
    first, second = thread(), thread()
    results = await asyncio.gather(
        _chat(graph, first, "x1", "x2", "x3"), _chat(graph, second, "y1", "y2", "y3")
    )
    for result, letter in zip(results, "xy", strict=True):
        assert transcript(result["messages"]) == [
            entry
            for turn in (1, 2, 3)
            for entry in (("human", f"{letter}{turn}"), ("ai", f"turn {turn}: {letter}{turn}"))
        ]
    for config, letter in ((first, "x"), (second, "y")):
        state = await graph.aget_state(config)
        assert transcript(state.values["messages"])[-1] == ("ai", f"turn 3: {letter}3")
