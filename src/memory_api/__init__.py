"""memory_api: short-term (session state) and long-term (RAG) memory for LLM agents."""

__version__ = "0.1.0"
