"""Helpers for tests of memory_api and of applications built on it."""
