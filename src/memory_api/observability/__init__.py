"""Prometheus metrics: requests per route, indexing jobs, chunks indexed, embedding latency."""
