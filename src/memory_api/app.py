"""Application factory: ``create_app(settings)``; resources live in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from memory_api import __version__
from memory_api.db.engine import create_engine
from memory_api.db.session import Database
from memory_api.health.routes import router as health_router
from memory_api.http.body_limit import BodySizeLimitMiddleware
from memory_api.http.handlers import install_exception_handlers
from memory_api.settings import Settings
from memory_api.state.routes import router as state_router


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    database = Database(create_engine(settings))
    app.state.database = database
    app.state.health_checks = {"database": database.ping}
    try:
        yield
    finally:
        await database.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ASGI app. Nothing connects until the lifespan starts."""
    settings = settings or Settings()
    app = FastAPI(
        title="memory_api",
        summary="Hybrid memory for LLM agents: session state (SQL) + RAG over documents (Chroma).",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_exception_handlers(app)
    app.include_router(state_router)
    app.include_router(health_router)
    return app
