"""Metadata filters: Chroma's "where" grammar parsed once into a tree, then compiled to Chroma's
``where`` dict or to a SQLAlchemy condition with exactly Chroma's matching rules."""

from memory_api.search.filters.chroma import to_chroma_where
from memory_api.search.filters.schema import SCHEMA, MetadataFilter
from memory_api.search.filters.sql import FieldMap, to_sql
from memory_api.search.filters.tree import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_VALUES,
    And,
    Compare,
    Filter,
    Op,
    Or,
    Scalar,
    parse_filter,
)

__all__ = [
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "MAX_VALUES",
    "SCHEMA",
    "And",
    "Compare",
    "FieldMap",
    "Filter",
    "MetadataFilter",
    "Op",
    "Or",
    "Scalar",
    "parse_filter",
    "to_chroma_where",
    "to_sql",
]
