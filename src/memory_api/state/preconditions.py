"""Entity tags and the conditional headers of RFC 9110 (section 13), for session versions.

A session's strong ETag names its version and its incarnation: ``"3-6123f0a9b8c7d"`` is version
3 of the session created at that time (its ``created_at``, in microseconds since the epoch, in
hexadecimal). Versions start again at 1 when a session is deleted (or expires) and is written
again; its creation time is new then, so an ETag of an earlier incarnation never matches the
new one. ETags are opaque to clients: a tag of another form (a bare version ``"3"``, as earlier
builds sent) matches nothing. ``If-Match`` compares strongly (a weak tag never matches),
``If-None-Match`` weakly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')
_OPAQUE = re.compile(r"([1-9][0-9]{0,9})-([0-9a-f]{1,16})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_MICROSECOND = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - _EPOCH) // (
    timedelta(microseconds=1)
)
#: versions stay SQL integers
_MAX_VERSION = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Tag:
    """What an ETag names: a version of one incarnation of a session."""

    version: int
    created_at: datetime


def etag(tag: Tag) -> str:
    """The ETag header's value for ``tag``."""
    microseconds = (tag.created_at - _EPOCH) // timedelta(microseconds=1)
    return f'"{tag.version}-{microseconds:x}"'


def _tag(opaque: str) -> Tag | None:
    """The tag named by the ``opaque`` part of one of our ETags; None for any other."""
    match = _OPAQUE.fullmatch(opaque)
    if match is None:
        return None
    version, microseconds = int(match.group(1)), int(match.group(2), 16)
    if version > _MAX_VERSION or microseconds > _LAST_MICROSECOND:
        return None
    return Tag(version, _EPOCH + timedelta(microseconds=microseconds))


@dataclass(frozen=True)
class TagList:
    """A parsed ``If-Match`` / ``If-None-Match`` value: ``*`` or a list of entity tags."""

    any: bool
    strong: frozenset[Tag]  # named by strong tags
    weak: frozenset[Tag]  # named by weak tags (W/"3-...")

    @classmethod
    def parse(cls, value: str | None) -> TagList | None:
        """None for an absent header. Tags that are not our ETags are kept as matching
        nothing; a value that is not a list of entity tags matches nothing either."""
        if value is None:
            return None
        if value.strip() == "*":
            return cls(True, frozenset(), frozenset())
        strong: set[Tag] = set()
        weak: set[Tag] = set()
        position = 0
        text = value.strip()
        while position < len(text):
            match = _TAG.match(text, position)
            if match is None or match.end() == position:
                break
            tag = _tag(match.group(2))
            if tag is not None:
                (weak if match.group(1) else strong).add(tag)
            position = match.end()
        return cls(False, frozenset(strong), frozenset(weak))

    def single_tag(self) -> Tag | None:
        """The one tag a strong comparison can match, when the list names exactly one."""
        if not self.any and not self.weak and len(self.strong) == 1:
            return next(iter(self.strong))
        return None

    def matches_strongly(self, current: Tag | None) -> bool:
        return current is not None and (self.any or current in self.strong)

    def matches_weakly(self, current: Tag | None) -> bool:
        return current is not None and (self.any or current in self.strong | self.weak)


@dataclass(frozen=True)
class Preconditions:
    if_match: TagList | None = None
    if_none_match: TagList | None = None

    @classmethod
    def from_headers(cls, if_match: str | None, if_none_match: str | None) -> Preconditions:
        return cls(TagList.parse(if_match), TagList.parse(if_none_match))

    @property
    def none(self) -> bool:
        return self.if_match is None and self.if_none_match is None

    def hold_for(self, current: Tag | None) -> bool:
        """RFC 9110 13.2.2 for a state-changing request on a session at ``current`` (None:
        absent): If-Match first, then If-None-Match."""
        if self.if_match is not None and not self.if_match.matches_strongly(current):
            return False
        return not (self.if_none_match is not None and self.if_none_match.matches_weakly(current))
