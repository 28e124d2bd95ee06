"""Collection names and the bodies of the collection endpoints."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

NAME_PATTERN = r"^[a-z0-9_-]{1,63}$"
NAME_RULE = "1 to 63 characters from a-z 0-9 _ -"
CollectionName = Annotated[str, Field(pattern=NAME_PATTERN, description=f"{NAME_RULE}.")]
