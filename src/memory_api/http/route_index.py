"""Route lookup by the path's first segment, ahead of FastAPI's walk over every route.

FastAPI (0.165) matches a request by trying each route of each included router in order,
twice for a route inside an included router (once to choose the router, once inside it), with
scope bookkeeping around every candidate: about a quarter of the stack's time on GET
``/state/{id}`` and most of it on ``/livez``, the last router (bench.state_throughput, issue
17). ``RouteIndex`` sits where the app's router starts (inside every middleware and the
exception handlers) and tries, in FastAPI's order, only the routes whose template can match
the path: those whose first segment is the path's, and those whose first segment is not a
fixed string. The first that fully matches a FastAPI route is called with the scope FastAPI's
walk would have left; a request that no route fully matches (404, 405, redirects, the
low-priority routes), or whose first full match is anything else (a mount, the OpenAPI
document), goes through FastAPI's router unchanged, which then decides as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import (
    _FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY,
    _FASTAPI_INCLUDED_ROUTER_KEY,
    _FASTAPI_SCOPE_KEY,
    APIRoute,
    APIRouter,
    _EffectiveRouteContext,
    _IncludedRouter,
)
from starlette.routing import BaseRoute, Host, Match
from starlette.types import ASGIApp, Receive, Scope, Send

#: the key of routes whose first segment is not a fixed string (``/{name}``, hosts, ...)
ANY = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A route as FastAPI's walk tries it: ``context`` (with the ``included`` router it came
    from) when it is a FastAPI route this index may call, else the route to ask."""

    route: BaseRoute | _EffectiveRouteContext | _IncludedRouter
    included: _IncludedRouter | None = None
    context: _EffectiveRouteContext | None = None


def install_route_index(app: FastAPI) -> None:
    """In front of ``app``'s router, once every route is included (routes included later are
    found too: the index is rebuilt when the number of routes changes). Not installed when
    the router has middleware of its own, which the index would go around."""
    router = app.router
    if router.middleware_stack == router.app:
        router.middleware_stack = RouteIndex(router.middleware_stack, router)


class RouteIndex:
    def __init__(self, app: ASGIApp, router: APIRouter) -> None:
        self.app = app  # the router's own entry: what this index does not take
        self.router = router
        self._routes_count = -1
        self._by_segment: dict[str | None, tuple[Candidate, ...]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "fastapi.telemetry" not in scope:
            found = self._match(scope)
            if found is not None:
                included, context, child_scope = found
                await self._call(scope, receive, send, included, context, child_scope)
                return
        await self.app(scope, receive, send)

    def _match(self, scope: Scope) -> tuple[_IncludedRouter, _EffectiveRouteContext, Scope] | None:
        path: str = scope["path"]
        if scope.get("root_path") or not path.startswith("/"):
            return None  # FastAPI's own path handling
        if len(self.router.routes) != self._routes_count:
            self._build()
        segment = path[1:].partition("/")[0]
        candidates = self._by_segment.get(segment) or self._by_segment.get(ANY, ())
        for candidate in candidates:
            if candidate.context is None:
                if candidate.route.matches(scope)[0] == Match.FULL:
                    return None  # not one of ours: FastAPI handles it
                continue
            match, child_scope = candidate.context.matches(scope)
            if match == Match.FULL:
                assert candidate.included is not None
                return candidate.included, candidate.context, child_scope
        return None

    async def _call(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        included: _IncludedRouter,
        context: _EffectiveRouteContext,
        child_scope: Scope,
    ) -> None:
        """What ``APIRouter.app`` -> ``_IncludedRouter.handle`` -> ``_handle_selected`` ->
        ``APIRoute.handle`` do for a route they matched (their form limits are empty: see
        ``_build``; the telemetry hooks only act when ``fastapi.telemetry`` is in the scope)."""
        if "router" not in scope:
            scope["router"] = self.router
        fastapi_scope = scope.setdefault(_FASTAPI_SCOPE_KEY, {})
        fastapi_scope[_FASTAPI_INCLUDED_ROUTER_KEY] = included
        scope.update(child_scope)
        fastapi_scope[_FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY] = context
        scope["route"] = context.original_route
        assert context.app is not None
        await context.app(scope, receive, send)

    def _build(self) -> None:
        routes = list(self.router.routes)
        candidates = list(_candidates(routes, plain=not self.router.form_limits))
        segments = {_first_segment(candidate) for candidate in candidates} - {ANY}
        self._by_segment = {
            segment: tuple(c for c in candidates if _first_segment(c) in (segment, ANY))
            for segment in (*segments, ANY)
        }
        self._routes_count = len(routes)


def _candidates(routes: list[BaseRoute], *, plain: bool) -> Iterator[Candidate]:
    """The routes in the order FastAPI's walk tries them. Only a route of an included router
    without form limits, directly under the app's router, is called from here."""
    for route in routes:
        if not isinstance(route, _IncludedRouter):
            yield Candidate(route)
            continue
        ours = plain and not route.include_context.form_limits
        for candidate in route.effective_candidates():
            if (
                ours
                and isinstance(candidate, _EffectiveRouteContext)
                and isinstance(candidate.original_route, APIRoute)
                and candidate.app is not None
            ):
                yield Candidate(candidate, route, candidate)
            else:
                yield Candidate(candidate)


def _first_segment(candidate: Candidate) -> str | None:
    """The fixed first segment every path the route matches starts with, or ``ANY``."""
    route = candidate.route
    if isinstance(route, _IncludedRouter | Host):
        return ANY
    if isinstance(route, _EffectiveRouteContext):
        if isinstance(route.original_route, APIRoute):
            template = route.path
        elif route.starlette_route is not None and not isinstance(route.starlette_route, Host):
            template = getattr(route.starlette_route, "path", "")
        else:
            return ANY  # a group of frontend routes
    else:
        template = getattr(route, "path", "")
    if not template.startswith("/"):
        return ANY
    segment = template[1:].partition("/")[0]
    return ANY if "{" in segment else segment
