"""LangGraph checkpoints: threads, checkpoints and pending writes, stored as opaque bytes.

The client (``memory_api.langgraph.MemoryAPISaver``) serialises with LangGraph's serializer;
the server keeps the bytes and the metadata JSON it filters on, and never unpickles anything.
"""
