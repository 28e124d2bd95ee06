"""Long-term memory written by agents: the LangGraph Platform store API (``/store/...``)."""
