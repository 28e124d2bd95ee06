"""Long-term memory: indexed documents, their chunks, semantic search and statistics."""
