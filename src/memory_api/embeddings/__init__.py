"""Embedding providers behind one interface: local all-MiniLM-L6-v2 (ONNX) or OpenAI-compatible."""
