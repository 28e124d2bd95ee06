"""Asynchronous indexing: durable jobs (rows), the worker that runs them, and the pipeline."""
