"""Keyset cursors of ``GET /sessions``: opaque to clients, (updated_at, session_id) inside."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import orjson

from memory_api.errors import InvalidInput
from memory_api.state.repository import StoredState


def encode_cursor(last: StoredState) -> str:
    raw = orjson.dumps([last.updated_at.isoformat(), last.session_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        updated_at, session_id = orjson.loads(raw)
        moment = datetime.fromisoformat(updated_at)
        if moment.tzinfo is None or not isinstance(session_id, str):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise InvalidInput("Invalid cursor: pass the next_cursor of a previous page") from None
    return moment, session_id
