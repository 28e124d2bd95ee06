"""LangGraph adapters backed by memory-api (``pip install "memory-api[langgraph]"``).

from memory_api.langgraph import MemoryAPISaver, MemoryAPIStore

graph = builder.compile(
    checkpointer=MemoryAPISaver(url="http://127.0.0.1:8001", api_key="..."),
    store=MemoryAPIStore(url="http://127.0.0.1:8001", api_key="..."),
)
graph.invoke(inputs, {"configurable": {"thread_id": "user-1"}})
"""

try:
    from memory_api.langgraph.checkpointer import MemoryAPISaver
    from memory_api.langgraph.store import MemoryAPIStore
except ModuleNotFoundError as error:  # the core install has no LangGraph
    if not (error.name or "").startswith("langgraph"):
        raise
    raise ImportError(
        f"memory_api.langgraph needs LangGraph ({error.name} is missing): "
        'pip install "memory-api[langgraph]"'
    ) from error

__all__ = ["MemoryAPISaver", "MemoryAPIStore"]
