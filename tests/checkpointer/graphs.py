"""Small real LangGraph graphs for the checkpointer tests (no LLM: langchain_core's fake chat
model). Run as a script, it plays one chat turn against a server: the other process of the
resume-across-processes test."""

from __future__ import annotations

import sys
from typing import Any, TypedDict

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AnyMessage, HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import interrupt


def _chat(state: MessagesState) -> dict[str, Any]:
    """The fake model answers with the turn number and what it was told: replies depend on
    the stored history only, so two processes replaying one thread agree."""
    humans = [m for m in state["messages"] if isinstance(m, HumanMessage)]
    model = FakeListChatModel(responses=[f"turn {len(humans)}: {humans[-1].content}"])
    return {"messages": [model.invoke(state["messages"])]}


def chat_graph(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any]:
    builder = StateGraph(MessagesState).add_node("chat", _chat)
    return builder.add_edge(START, "chat").add_edge("chat", END).compile(checkpointer=checkpointer)


def transcript(messages: list[AnyMessage]) -> list[tuple[str, str]]:
    return [(message.type, str(message.content)) for message in messages]


class Review(TypedDict):
    draft: str
    verdict: str


def _write(state: Review) -> dict[str, str]:
    return {"draft": state["draft"].upper()}


def _review(state: Review) -> dict[str, str]:
    answer = interrupt({"question": "publish?", "draft": state["draft"]})
    return {"verdict": f"{answer}: {state['draft']}"}


def review_graph(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any]:
    """write -> review (asks a human with ``interrupt()``) -> end."""
    builder = StateGraph(Review).add_node("write", _write).add_node("review", _review)
    builder.add_edge(START, "write").add_edge("write", "review").add_edge("review", END)
    return builder.compile(checkpointer=checkpointer)


class Nested(TypedDict):
    value: str


def _child(state: Nested) -> dict[str, str]:
    return {"value": f"{state['value']}|child:{interrupt('child?')}"}


def parent_graph(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any]:
    """A parent whose only node is a subgraph that interrupts: its checkpoints live in a
    non-empty ``checkpoint_ns``."""
    child = StateGraph(Nested).add_node("child", _child).add_edge(START, "child").compile()
    builder = StateGraph(Nested).add_node("sub", child).add_edge(START, "sub")
    return builder.compile(checkpointer=checkpointer)


if __name__ == "__main__":
    from memory_api.langgraph import MemoryAPISaver

    url, key, thread_id, text = sys.argv[1:5]
    with MemoryAPISaver(url=url, api_key=key) as saver:
        result = chat_graph(saver).invoke(
            {"messages": [HumanMessage(text)]}, {"configurable": {"thread_id": thread_id}}
        )
    print(result["messages"][-1].content)
