"""LangGraph's own conformance suite (langgraph-checkpoint-conformance 0.0.2) against
``MemoryAPISaver`` talking to a real server process, on SQLite and on PostgreSQL.

``report.passed_all()`` is true even when a capability is not implemented at all, so each of
the eight is checked in ``report.to_dict()``: detected, passed, and its exact test count.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from langgraph.checkpoint.conformance import checkpointer_test, validate

from memory_api.langgraph import MemoryAPISaver
from memory_api.testing.server import ServerProcess

pytestmark = pytest.mark.slow  # a subprocess server

#: the suite's tests per capability in 0.0.2 (81 in all): a capability that silently ran
#: fewer tests would change this
EXPECTED_TESTS = {
    "put": 17,
    "put_writes": 10,
    "get_tuple": 10,
    "list": 16,
    "delete_thread": 5,
    "delete_for_runs": 7,
    "copy_thread": 8,
    "prune": 8,
}


async def test_conformance_in_full(server: ServerProcess, tenant_key: tuple[str, str]) -> None:
    @checkpointer_test(name="MemoryAPISaver")
    async def saver_factory() -> AsyncIterator[MemoryAPISaver]:
        async with MemoryAPISaver(url=server.url, api_key=tenant_key[1]) as saver:
            yield saver

    report = (await validate(saver_factory)).to_dict()

    assert report["conformance_level"] == "FULL"
    results = report["results"]
    assert set(results) == set(EXPECTED_TESTS)
    for capability, tests in EXPECTED_TESTS.items():
        assert results[capability] == {
            "detected": True,
            "passed": True,
            "tests_passed": tests,
            "tests_failed": 0,
            "tests_skipped": 0,
            "failures": [],
        }, capability
    assert sum(EXPECTED_TESTS.values()) == 81
