"""Serving the files of ``static/``: only regular files inside it, with the right media type.

A plain route rather than Starlette's ``StaticFiles`` mount: every route of the app is then an
ordinary route that the auth walk (tests/security) enumerates, and the lookup is ours to bound.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Response
from fastapi.responses import FileResponse

from memory_api.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent / "static"

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE, NOTICE
}

# The console's own files change with the package; a browser revalidates them (ETag) instead
# of keeping a stale copy after an upgrade. Vendored files carry their version in our code.
REVALIDATE = "no-cache"

# Scripts, styles and fetches from this origin only: the console works offline and nothing it
# shows (stored states, document text) can load or run anything from elsewhere.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONSOLE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def resolve(relative: str) -> Path:
    """The file of ``static/`` that ``relative`` names; ``NotFound`` for anything else
    (a missing file, a folder, ``..`` or a link leading out)."""
    candidate = (STATIC_DIR / relative).resolve()
    if not candidate.is_relative_to(STATIC_DIR) or not candidate.is_file():
        raise NotFound("No such console asset")
    return candidate


def file_response(relative: str, *, headers: dict[str, str] | None = None) -> Response:
    """``relative`` as a response with its media type, an ETag and ``no-cache``."""
    path = resolve(relative)
    media_type = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Cache-Control": REVALIDATE, "X-Content-Type-Options": "nosniff"}
        | (headers or {}),
    )
