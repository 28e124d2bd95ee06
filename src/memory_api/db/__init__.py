"""Relational storage: engine, sessions (unit of work), column types and Alembic migrations."""
