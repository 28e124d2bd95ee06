"""Prometheus metrics with a registry per app (tests build many apps in one process).

Routes are labelled by their template (``/state/{session_id}``), never the raw path: labels
stay bounded and session ids do not leak into monitoring.
"""

from __future__ import annotations

from typing import NamedTuple

from fastapi import FastAPI
from fastapi.routing import APIRoute
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.routing import Route

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class RouteMetrics(NamedTuple):
    """One route's children of the request metrics, for a method and a status."""

    requests: Counter
    latency: Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "memory_api_http_requests",
            "HTTP requests by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "memory_api_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.embedding = Histogram(
            "memory_api_embedding_duration_seconds",
            "Time to embed a query or a batch of document chunks.",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.chunks = Counter(
            "memory_api_chunks_indexed", "Chunks embedded and written.", registry=self.registry
        )
        self.jobs = Gauge(
            "memory_api_index_jobs", "Indexing jobs by status.", ["status"], registry=self.registry
        )

    def route(self, method: str, route: str, status: int) -> RouteMetrics:
        return RouteMetrics(
            self.requests.labels(method, route, str(status)), self.latency.labels(method, route)
        )

    def observe_embedding(self, kind: str, seconds: float) -> None:
        self.embedding.labels(kind).observe(seconds)

    def add_chunks(self, count: int) -> None:
        self.chunks.inc(count)


def plain_paths(app: FastAPI) -> frozenset[str]:
    """Routes without parameters that FastAPI does not report in the scope (the
    documentation: /docs, /openapi.json, ...); their path is their label."""
    return frozenset(
        route.path
        for route in app.routes
        if isinstance(route, Route) and not isinstance(route, APIRoute) and "{" not in route.path
    )


def install_metrics(app: FastAPI) -> Metrics:
    """The app's metrics; the request log (``RequestLogMiddleware``) records each request."""
    metrics = Metrics()
    app.state.metrics = metrics
    return metrics
