"""Route class of every router: request bodies of a declared media type, parsed with orjson.

A route that takes a body accepts the media types its endpoint declares with ``accepts()``
(default ``application/json``): a body without a Content-Type, or of another type, gets 415.
JSON bodies (``application/json`` and any ``+json`` type) are parsed by ``json_body.parse``
before FastAPI sees them: malformed, non-UTF-8, too deeply nested or out-of-range documents
are a 422.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException

from memory_api.http import json_body
from memory_api.http.schemas import ErrorResponse

#: DELETE too: /store/items takes its key in a body, as LangGraph's SDK sends it.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
_MEDIA_TYPES = "__memory_api_media_types__"
_FAST_PATH = "__memory_api_fast_path__"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
#: The endpoint's arguments for the common form of a request, read without FastAPI's
#: dependency solving; None to let FastAPI bind them (and say what is wrong with the request).
FastPath = Callable[[Request], Coroutine[Any, Any, dict[str, Any] | None]]


def accepts(*media_types: str) -> Callable[[Endpoint], Endpoint]:
    """Declare the body media types an endpoint takes, e.g.
    ``@accepts("application/merge-patch+json", "application/json-patch+json")`` below the
    route decorator. Without it: ``application/json``."""

    def declare(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _MEDIA_TYPES, tuple(kind.lower() for kind in media_types))
        return endpoint

    return declare


class SlashedConvertor(Convertor[str]):
    """``{name:slashed}``: a path parameter holding a "/". Starlette routes on the decoded
    path, so an id sent as ``a%2Fb`` reaches no ``{name}`` route; a route with this
    convertor, after the real one, lets the parameter's own validation answer instead."""

    regex = ".*/.*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def fast_path(handler: FastPath) -> Callable[[Endpoint], Endpoint]:
    """Give a hot endpoint (one that returns a ``Response``) a ``handler`` that binds its
    arguments first (below the route decorator). FastAPI solves every parameter and
    dependency per request (a third of a GET /state's CPU time, bench.state_throughput); the
    handler reads the few it needs from the request itself and returns None for anything it
    does not fully check, so errors still come from FastAPI, unchanged. The endpoint runs
    after the body checks, inside FastAPI's exception handling, as it otherwise would."""

    def declare(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _FAST_PATH, handler)
        return endpoint

    return declare


register_url_convertor("slashed", SlashedConvertor())


def _is_json(media_type: str) -> bool:
    return media_type == JSON or media_type.endswith("+json")


class JSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json_body.parse(await self.body())
        return self._json


class JSONRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if self.media_types:
            self.responses.setdefault(
                415,
                {"model": ErrorResponse, "description": f"Body not of {self._expected()}"},
            )

    @property
    def media_types(self) -> tuple[str, ...]:
        """What the body may be; empty for routes without one. (A property: FastAPI builds
        the handler inside ``APIRoute.__init__``.)"""
        if self.body_field is None or not (self.methods or set()) & BODY_METHODS:
            return ()
        declared: tuple[str, ...] = getattr(self.endpoint, _MEDIA_TYPES, (JSON,))
        return declared

    def _expected(self) -> str:
        *others, last = self.media_types
        return f"{', '.join(others)} or {last}" if others else last

    def _unsupported(self, detail: str) -> HTTPException:
        return HTTPException(
            status_code=415, detail=f"{detail}: send the body as {self._expected()}"
        )

    async def _check_body(self, request: JSONRequest) -> None:
        content_type = request.headers.get("content-type")
        if content_type is None:
            if await request.body():
                raise self._unsupported("Missing Content-Type")
            return  # no body at all: the handler says what is missing
        media_type, _, parameters = content_type.partition(";")
        media_type = media_type.strip().lower()
        if media_type not in self.media_types:
            raise self._unsupported(f"Unsupported media type {media_type or content_type!r}")
        if not _is_json(media_type):
            return
        charset = parameters.lower().partition("charset=")[2].split(";")[0].strip(' "')
        if charset not in ("", "utf-8", "utf8"):
            raise self._unsupported(f"Unsupported charset {charset!r} (JSON is UTF-8)")
        body = await request.body()
        if body:
            try:
                await request.json()
            except json_body.BodyError as error:
                raise RequestValidationError([error.error]) from None

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        fast: FastPath | None = getattr(self.endpoint, _FAST_PATH, None)
        if not self.media_types and fast is None:
            return handler

        async def route_handler(request: Request) -> Response:
            if self.media_types and request.method in BODY_METHODS:
                request = JSONRequest(request.scope, request.receive)
                await self._check_body(request)
            arguments = None if fast is None else await fast(request)
            if arguments is None:
                return await handler(request)
            response = await self.endpoint(**arguments)
            if not isinstance(response, Response):
                raise TypeError(f"{self.endpoint.__name__} has a fast path: return a Response")
            return response

        return route_handler
