"""Entity tags and the conditional headers of RFC 9110 (section 13), for session versions.

A session's strong ETag is its version in quotes (``"3"``). ``If-Match`` compares strongly (a
weak tag never matches), ``If-None-Match`` weakly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass(frozen=True)
class TagList:
    """A parsed ``If-Match`` / ``If-None-Match`` value: ``*`` or a list of entity tags."""

    any: bool
    strong: frozenset[int]  # versions named by strong tags
    weak: frozenset[int]  # versions named by weak tags (W/"3")

    @classmethod
    def parse(cls, value: str | None) -> TagList | None:
        """None for an absent header. Tags that name no version (not our ETags) are kept as
        matching nothing; a value that is not a list of entity tags matches nothing either."""
        if value is None:
            return None
        if value.strip() == "*":
            return cls(True, frozenset(), frozenset())
        strong: set[int] = set()
        weak: set[int] = set()
        position = 0
        text = value.strip()
        while position < len(text):
            match = _TAG.match(text, position)
            if match is None or match.end() == position:
                break
            opaque = match.group(2)
            if opaque.isdigit() and opaque.isascii():
                (weak if match.group(1) else strong).add(int(opaque))
            position = match.end()
        return cls(False, frozenset(strong), frozenset(weak))

    def single_version(self) -> int | None:
        """The one version a strong comparison can match, when the list names exactly one."""
        if not self.any and not self.weak and len(self.strong) == 1:
            return next(iter(self.strong))
        return None

    def matches_strongly(self, current: int | None) -> bool:
        return current is not None and (self.any or current in self.strong)

    def matches_weakly(self, current: int | None) -> bool:
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

    def hold_for(self, current: int | None) -> bool:
        """RFC 9110 13.2.2 for a state-changing request on a session at ``current`` (None:
        absent): If-Match first, then If-None-Match."""
        if self.if_match is not None and not self.if_match.matches_strongly(current):
            return False
        return not (self.if_none_match is not None and self.if_none_match.matches_weakly(current))
