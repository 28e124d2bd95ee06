"""LangGraph adapters backed by memory-api (``pip install "memory-api[langgraph]"``).

from memory_api.langgraph import MemoryAPISaver

graph = builder.compile(checkpointer=MemoryAPISaver(url="http://127.0.0.1:8001", api_key="..."))
graph.invoke(inputs, {"configurable": {"thread_id": "user-1"}})
"""

from memory_api.langgraph.checkpointer import MemoryAPISaver

__all__ = ["MemoryAPISaver"]
