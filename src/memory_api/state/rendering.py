"""The JSON bodies of the state endpoints, built from stored states without parsing them."""

from __future__ import annotations

import orjson

from memory_api.state.repository import StoredState, VersionInfo

_TIME = orjson.OPT_UTC_Z


def _time(value: object) -> bytes:
    return orjson.dumps(value, option=_TIME)


def _seed_fields(state: StoredState) -> bytes:
    return b"".join(
        (
            b'{"session_id":',
            orjson.dumps(state.session_id),
            b',"state_data":',
            state.state_json.encode(),
            b',"created_at":',
            _time(state.created_at),
            b',"updated_at":',
            _time(state.updated_at),
        )
    )


def render_state(state: StoredState) -> bytes:
    """The ``StateResponse`` JSON, with the stored document spliced in unparsed."""
    return b"".join(
        (
            _seed_fields(state),
            b',"version":',
            str(state.version).encode(),
            b',"expires_at":',
            _time(state.expires_at),
            b"}",
        )
    )


def render_states(states: list[StoredState]) -> bytes:
    """``GET /sessions``: the seed's items (``StateRetrieveResponse``), fields unchanged."""
    return b"[" + b"},".join(_seed_fields(state) for state in states) + (b"}]" if states else b"]")


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
