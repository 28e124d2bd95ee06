"""Routes of the console: ``/`` -> ``/ui``, the single-page app, its assets and its config.

The shell, its assets and ``/ui/config`` are public (see ``auth.middleware.PUBLIC_PATHS``): a
browser cannot attach a key to a page load, they hold no data (the same bytes for every
tenant), and the app asks for a key before its first API call. Every API call it makes goes
through the ordinary routes and their auth.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from memory_api import __version__
from memory_api.console.assets import SECURITY_HEADERS, file_response
from memory_api.console.docs import router as docs_router
from memory_api.settings import Settings

router = APIRouter(include_in_schema=False)
router.include_router(docs_router)


class ConsoleConfig(BaseModel):
    """What the app needs before its first call: whether to ask for a key."""

    auth_required: bool = Field(description="The server has API keys: send one on every call.")
    version: str


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/ui", status_code=307)


@router.get("/ui")
async def console() -> Response:
    return file_response("index.html", headers=SECURITY_HEADERS)


@router.get("/ui/config")
async def console_config(request: Request) -> ConsoleConfig:
    settings: Settings = request.app.state.settings
    return ConsoleConfig(auth_required=bool(settings.api_keys), version=__version__)


@router.get("/ui/assets/{path:path}")
async def console_asset(path: str) -> Response:
    return file_response(path)
