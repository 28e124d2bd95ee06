"""Prometheus metrics with a registry per app (tests build many apps in one process).

Routes are labelled by their template (``/state/{session_id}``), never the raw path: labels
stay bounded and session ids do not leak into monitoring.
"""

from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.routing import APIRoute
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


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

    def observe_embedding(self, kind: str, seconds: float) -> None:
        self.embedding.labels(kind).observe(seconds)

    def add_chunks(self, count: int) -> None:
        self.chunks.inc(count)


class MetricsMiddleware:
    """``plain_paths``: routes without parameters that FastAPI does not report in the scope
    (the documentation: /docs, /openapi.json, ...); their path is their label."""

    def __init__(self, app: ASGIApp, metrics: Metrics, plain_paths: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.plain_paths = plain_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", None)
            if route is None:
                route = scope["path"] if scope["path"] in self.plain_paths else "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)


def plain_paths(app: FastAPI) -> frozenset[str]:
    return frozenset(
        route.path
        for route in app.routes
        if isinstance(route, Route) and not isinstance(route, APIRoute) and "{" not in route.path
    )


def install_metrics(app: FastAPI, *, middleware: bool = True) -> Metrics:
    """``middleware=False``: the caller records the requests itself (the request log does)."""
    metrics = Metrics()
    app.state.metrics = metrics
    if middleware:
        app.add_middleware(MetricsMiddleware, metrics=metrics, plain_paths=plain_paths(app))
    return metrics
