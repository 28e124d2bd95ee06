"""The JSON bodies of the state endpoints, built from stored states without parsing them."""

from __future__ import annotations

import orjson

from memory_api.state.repository import StoredState

_TIME = orjson.OPT_UTC_Z


def render_state(state: StoredState) -> bytes:
    """The ``StateRetrieveResponse`` JSON, with the stored document spliced in unparsed."""
    return b"".join(
        (
            b'{"session_id":',
            orjson.dumps(state.session_id),
            b',"state_data":',
            state.state_json.encode(),
            b',"created_at":',
            orjson.dumps(state.created_at, option=_TIME),
            b',"updated_at":',
            orjson.dumps(state.updated_at, option=_TIME),
            b"}",
        )
    )


def render_states(states: list[StoredState]) -> bytes:
    return b"[" + b",".join(render_state(state) for state in states) + b"]"


def render_stored(session_id: str) -> bytes:
    return b'{"status":"ok","session_id":' + orjson.dumps(session_id) + b"}"
