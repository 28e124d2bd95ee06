"""The JSON bodies of the state endpoints, built from stored states without parsing them."""

from __future__ import annotations

import orjson

from memory_api.state.repository import StoredState, VersionInfo

_TIME = orjson.OPT_UTC_Z


def _time(value: object) -> bytes:
    return orjson.dumps(value, option=_TIME)


def _seed_fields(state: StoredState, *, include_state: bool = True) -> bytes:
    return b"".join(
        (
            b'{"session_id":',
            orjson.dumps(state.session_id),
            b',"state_data":' + state.state_json.encode() if include_state else b"",
            b',"created_at":',
            _time(state.created_at),
            b',"updated_at":',
            _time(state.updated_at),
        )
    )


def render_state(state: StoredState, *, include_state: bool = True) -> bytes:
    """The ``StateResponse`` JSON, with the stored document spliced in unparsed."""
    return b"".join(
        (
            _seed_fields(state, include_state=include_state),
            b',"version":',
            str(state.version).encode(),
            b',"expires_at":',
            _time(state.expires_at),
            b"}",
        )
    )


def render_states(states: list[StoredState], *, include_state: bool = True) -> bytes:
    """``GET /sessions``: the seed's items (``StateRetrieveResponse``), fields unchanged
    (``state_data`` left out when not ``include_state``)."""
    items = (_seed_fields(state, include_state=include_state) + b"}" for state in states)
    return b"[" + b",".join(items) + b"]"


def render_page(
    states: list[StoredState], next_cursor: str | None, *, include_state: bool = True
) -> bytes:
    """``GET /sessions?envelope=true``: full items (with version and expiry) and the cursor."""
    items = b",".join(render_state(state, include_state=include_state) for state in states)
    return b'{"sessions":[' + items + b'],"next_cursor":' + orjson.dumps(next_cursor) + b"}"


def render_stored(session_id: str) -> bytes:
    return b'{"status":"ok","session_id":' + orjson.dumps(session_id) + b"}"


def render_versions(versions: list[VersionInfo]) -> bytes:
    return orjson.dumps(
        [
            {"version": v.version, "updated_at": v.created_at, "size_bytes": v.size_bytes}
            for v in versions
        ],
        option=_TIME,
    )
