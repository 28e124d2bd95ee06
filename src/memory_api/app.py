"""Application factory: ``create_app(settings)``; components are built in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from fastapi import FastAPI

from memory_api import __version__
from memory_api.auth.middleware import APIKeyMiddleware
from memory_api.auth.openapi import declare_security
from memory_api.checkpoints.routes import router as checkpoints_router
from memory_api.collections.routes import router as collections_router
from memory_api.collections.sweeper import SWEEP_INTERVAL, CollectionSweeper
from memory_api.components import Components, open_components
from memory_api.console import router as console_router
from memory_api.documents import upload_jobs
from memory_api.documents.api_routes import router as documents_api_router
from memory_api.documents.routes import router as documents_router
from memory_api.documents.upload_routes import UPLOAD_PATH
from memory_api.documents.upload_routes import router as upload_router
from memory_api.health.routes import router as health_router
from memory_api.http.body_limit import BodySizeLimitMiddleware
from memory_api.http.handlers import install_exception_handlers
from memory_api.http.request_log import RequestLogMiddleware
from memory_api.http.route_index import install_route_index
from memory_api.indexing import handler as directory_indexing
from memory_api.indexing.pipeline import IndexingPipeline
from memory_api.indexing.roots import prepare_index_roots
from memory_api.indexing.routes import router as indexing_router
from memory_api.ingestion.writer import DocumentWriter
from memory_api.jobs.handlers import JobHandlers
from memory_api.jobs.worker import JobWorker
from memory_api.observability.metrics import install_metrics, plain_paths
from memory_api.observability.routes import router as metrics_router
from memory_api.reembed import handler as reembedding
from memory_api.reembed.routes import router as reembed_router
from memory_api.search.routes import router as search_router
from memory_api.settings import Settings
from memory_api.state.routes import router as state_router
from memory_api.state.sweeper import StateSweeper, SweeperConfig
from memory_api.store.routes import router as store_router
from memory_api.store.sweeper import StoreSweeper
from memory_api.tenants.routes import router as tenants_router

logger = logging.getLogger("memory_api")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    prepare_index_roots(settings)
    async with open_components(settings, app.state.metrics) as base:
        worker = _job_worker(base) if app.state.run_worker else None
        sweeper = (
            CollectionSweeper(base.database, base.vectors, interval=SWEEP_INTERVAL)
            if app.state.run_worker
            else None
        )
        state_sweeper = StateSweeper(
            base.database,
            SweeperConfig(settings.state_sweep_interval, settings.state_sweep_batch),
            base.metrics.registry,
        )
        store_sweeper = StoreSweeper(
            DocumentWriter.of(base),
            settings.store_sweep_interval,
        )
        components = replace(
            base,
            worker=worker,
            sweeper=sweeper,
            state_sweeper=state_sweeper,
            store_sweeper=store_sweeper,
        )
        app.state.components = components
        if worker is not None:
            worker.start()
        if sweeper is not None:
            sweeper.start()
        state_sweeper.start()
        store_sweeper.start()
        preload = _preload_lexical(components)
        _freeze_startup_heap()
        try:
            yield
        finally:
            gc.unfreeze()
            if preload is not None:
                preload.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await preload
            await store_sweeper.stop()
            await state_sweeper.stop()
            if sweeper is not None:
                await sweeper.stop()
            if worker is not None:
                await worker.stop()


def _preload_lexical(components: Components) -> asyncio.Task[None] | None:
    """The lexical index's lists loaded in the background (searches meanwhile load what they
    need themselves); a failure is logged, the server runs on."""
    lexical = components.lexical
    if lexical is None or not components.settings.lexical_memory_preload:
        return None

    async def run() -> None:
        started = time.monotonic()
        try:
            loaded = await lexical.preload(components.database)
        except Exception:
            logger.warning("lexical memory: loading the lists at start failed", exc_info=True)
            return
        if loaded:
            seconds = time.monotonic() - started
            logger.info("lexical memory: %d lists loaded at start in %.1f s", loaded, seconds)

    return asyncio.create_task(run(), name="memory-api-lexical-preload")


def _job_worker(components: Components) -> JobWorker:
    settings = components.settings
    pipeline = IndexingPipeline(
        components.database,
        components.embedder,
        components.vectors,
        settings,
        components.metrics,
        components.lexical,
    )
    # Each kind of background work is one registration here.
    handlers = JobHandlers()
    directory_indexing.register(handlers, pipeline, settings)
    upload_jobs.register(handlers, components)
    reembedding.register(handlers, components)
    return JobWorker(
        components.database,
        handlers,
        lease_seconds=settings.job_lease_seconds,
        poll_interval=settings.job_poll_interval,
    )


def _freeze_startup_heap() -> None:
    """Keep the objects built at start-up (chromadb, onnxruntime, pydantic schemas: about
    170k) out of the garbage collector's full passes, which walked them all: a 78 ms pause
    every few thousand requests (bench.state_throughput: GET p99 87 -> 9.5 ms, 3.9k -> 5.6k
    requests/s). Undone at shutdown, so a process that builds many apps (tests) frees them."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, *, run_worker: bool = True) -> FastAPI:
    """Build the ASGI app. Nothing connects until the lifespan starts."""
    settings = settings or Settings()
    app = FastAPI(
        title="memory_api",
        summary="Hybrid memory for LLM agents: session state (SQL) + RAG over documents (Chroma).",
        version=__version__,
        lifespan=lifespan,
        # Served by the console package from local files (FastAPI's pages use a CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.run_worker = run_worker
    # Starlette runs the last-added middleware first: log, then authenticate, then limit.
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        timeout=settings.http_body_timeout,
        paths=[(UPLOAD_PATH, settings.max_upload_bytes)],
    )
    if settings.api_keys:
        app.add_middleware(APIKeyMiddleware, keys=settings.parsed_api_keys())
        _declare_security(app)
    # One layer logs, counts and times each request (the metrics use the route templates).
    metrics = install_metrics(app)
    app.add_middleware(RequestLogMiddleware, metrics=metrics, plain_paths=plain_paths(app))
    install_exception_handlers(app)
    app.include_router(state_router)
    app.include_router(search_router)
    app.include_router(checkpoints_router)
    app.include_router(store_router)
    app.include_router(documents_router)
    app.include_router(collections_router)
    app.include_router(documents_api_router)
    app.include_router(upload_router)
    app.include_router(reembed_router)
    app.include_router(indexing_router)
    app.include_router(tenants_router)
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(console_router)
    install_route_index(app)
    return app


def _declare_security(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_security(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
