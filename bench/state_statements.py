"""The state write statements alone on PostgreSQL: POST's upsert against the PATCH statements,
and the append's earlier text against today's, on the same rows (issue 15).

    python -m bench.state_statements [--executions 400] [--rounds 5] [--messages 3,50]

A migrated temporary database holds 1,000 sessions of ``bench.state_throughput``'s state (with
``--messages`` messages). Each round runs every statement ``--executions`` times, one session
after another, on one asyncpg connection in a transaction that is then rolled back (no commit:
the statement's own cost, its round trip included); rounds alternate between the statements, so
a slow moment of a shared machine hits all alike. Every statement is the one the service runs at
default settings (with its history upsert and prune); POST's is also timed without them (as at
``MEMORY_API_STATE_HISTORY=0``: what the history costs a POST). ``SELECT 1`` is timed alike (the
round trip alone). Reported: mean and median microseconds per execution and their ratios to POST's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from bench._common import report, temporary_postgres
from bench.state_throughput import MESSAGE, SESSIONS
from memory_api.db.migrate import upgrade
from memory_api.settings import Settings
from memory_api.state.statements import POSTGRESQL, Statement, patch_write

TENANT = "default"
KEEP = Settings.model_fields["state_history"].default  # the default setting

# The PostgreSQL append of b399335..fe49520 (before statev4): three reads of the member,
# then the plpgsql merge of {member: extended array} over the whole document.
EARLIER_APPEND = patch_write(
    "memory_api_json_merge_patch(state_data, json_build_object(CAST(:member AS text), "
    "CAST(CASE WHEN json_array_length(state_data -> CAST(:member AS text)) = 0 "
    "THEN CAST(:values AS text) "
    "ELSE left(rtrim(CAST(state_data -> CAST(:member AS text) AS text)), -1) || ',' "
    "|| substr(CAST(:values AS text), 2) END AS json)))",
    "json_typeof(state_data -> CAST(:member AS text)) = 'array'",
    "postgresql",
)
ROUND_TRIP = Statement("SELECT 1")


def _with_history(write: Any) -> Statement:
    statement: Statement | None = write.with_history
    assert statement is not None
    return statement


def statements(
    state: dict[str, Any],
) -> dict[str, tuple[Statement, Callable[[int], dict[str, Any]]]]:
    """Each timed statement and its parameters for execution ``i``."""
    document = orjson.dumps(state).decode()
    values = orjson.dumps([MESSAGE]).decode()

    def common(i: int) -> dict[str, Any]:
        return {
            "tenant": TENANT,
            "session_id": f"s{i % SESSIONS}",
            "now": datetime.now(UTC),
            "expires_at": None,
            "expected": None,
            "incarnation": None,
            "keep": KEEP,
        }

    def posting(i: int) -> dict[str, Any]:
        return {**common(i), "state": document, "size": len(document)}

    def appending(i: int) -> dict[str, Any]:
        return {**common(i), "member": "messages", "values": values}

    def merging(i: int) -> dict[str, Any]:
        return {**common(i), "patch": orjson.dumps({"step": i}).decode()}

    return {
        "post": (_with_history(POSTGRESQL.upsert), posting),
        # POST as it runs with MEMORY_API_STATE_HISTORY=0: what keeping the history costs
        "post_without_history": (POSTGRESQL.upsert.alone, posting),
        "append_earlier": (_with_history(EARLIER_APPEND), appending),
        "append": (_with_history(POSTGRESQL.patch["append"]), appending),
        "merge": (_with_history(POSTGRESQL.patch["merge"]), merging),
        "round_trip": (ROUND_TRIP, lambda i: {}),
    }


async def _round(
    connection: asyncpg.Connection,
    statement: Statement,
    parameters: Callable[[int], dict[str, Any]],
    executions: int,
) -> list[float]:
    times = []
    transaction = connection.transaction()
    await transaction.start()
    try:
        for i in range(executions):
            arguments = statement.arguments(parameters(i))
            started = time.perf_counter()
            row = await connection.fetchrow(statement.asyncpg_sql, *arguments)
            times.append(time.perf_counter() - started)
            if row is None:
                raise RuntimeError(f"{statement.sql[:60]}... wrote nothing")
    finally:
        await transaction.rollback()
    return times


async def _measure(url: str, messages: int, executions: int, rounds: int) -> dict[str, Any]:
    state = {"messages": [MESSAGE] * messages, "step": 7}
    timed = statements(state)
    connection = await asyncpg.connect(url)
    try:
        post, posting = timed["post"]
        for i in range(SESSIONS):
            await connection.fetchrow(post.asyncpg_sql, *post.arguments(posting(i)))
        times: dict[str, list[float]] = {name: [] for name in timed}
        for _ in range(rounds):
            for name, (statement, parameters) in timed.items():
                times[name] += await _round(connection, statement, parameters, executions)
                await connection.execute("VACUUM session_states, session_state_history")
    finally:
        await connection.close()
    us = {name: statistics.fmean(values) * 1e6 for name, values in times.items()}
    p50 = {name: statistics.median(values) * 1e6 for name, values in times.items()}
    figures: dict[str, Any] = {
        "document_bytes": len(orjson.dumps(state)),
        **{name: {"mean_us": round(us[name], 1), "p50_us": round(p50[name], 1)} for name in times},
    }
    for name in ("append_earlier", "append", "merge"):
        figures[f"{name}_vs_post"] = round(us[name] / us["post"], 3)
        figures[f"{name}_vs_post_p50"] = round(p50[name] / p50["post"], 3)
    figures["post_vs_without_history"] = round(us["post"] / us["post_without_history"], 3)
    figures["post_vs_without_history_p50"] = round(p50["post"] / p50["post_without_history"], 3)
    figures["append_vs_earlier"] = round(us["append"] / us["append_earlier"], 3)
    figures["append_vs_earlier_p50"] = round(p50["append"] / p50["append_earlier"], 3)
    return figures


def measure(executions: int, rounds: int, sizes: list[int]) -> dict[str, Any]:
    figures = {}
    for messages in sizes:
        with temporary_postgres() as url:  # fresh rows per size
            upgrade(Settings(_env_file=None, database_url=url))
            figures[f"messages_{messages}"] = asyncio.run(
                _measure(url, messages, executions, rounds)
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--messages", default="3,50", help="messages in each state, per run")
    args = parser.parse_args()
    sizes = [int(size) for size in args.messages.split(",")]
    figures = measure(args.executions, args.rounds, sizes)
    figures["settings"] = vars(args)
    report("state_statements", figures)


if __name__ == "__main__":
    main()
