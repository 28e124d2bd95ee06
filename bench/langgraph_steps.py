"""Steps/s of one LangGraph graph with ``MemoryAPISaver`` vs LangGraph's ``AsyncPostgresSaver``
on the same PostgreSQL database, in one run.

    python -m bench.langgraph_steps [--runs 5] [--rounds 5]
Target: MemoryAPISaver >= 0.5x AsyncPostgresSaver's steps/s (the service adds an HTTP hop).

The graph loops one node 20 times over a small state; each run is a new thread (20 steps, 21
checkpoints and their writes). Rounds alternate the two savers, so a slow moment of the shared
machine hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.graph import END, START, StateGraph

from bench._common import report, server, temporary_postgres
from memory_api.langgraph import MemoryAPISaver

STEPS = 20


class Counter(TypedDict):
    count: int
    note: str


def _step(state: Counter) -> dict[str, Any]:
    return {"count": state["count"] + 1, "note": f"step {state['count'] + 1}"}


def _next(state: Counter) -> str:
    return END if state["count"] >= STEPS else "step"


def graph(checkpointer: BaseCheckpointSaver[Any]) -> Any:
    builder = StateGraph(Counter).add_node("step", _step).add_edge(START, "step")
    builder.add_conditional_edges("step", _next)
    return builder.compile(checkpointer=checkpointer)


async def _runs(compiled: Any, runs: int) -> float:
    """Seconds for ``runs`` runs of the graph, one new thread each."""
    started = time.perf_counter()
    for _ in range(runs):
        config = {"configurable": {"thread_id": uuid.uuid4().hex}, "recursion_limit": 100}
        result = await compiled.ainvoke({"count": 0, "note": ""}, config)
        assert result["count"] == STEPS, result
    return time.perf_counter() - started


async def _compare(api_url: str, database: str, runs: int, rounds: int) -> dict[str, Any]:
    seconds = {"memory_api": 0.0, "postgres": 0.0}
    async with (
        MemoryAPISaver(url=api_url) as ours,
        AsyncPostgresSaver.from_conn_string(database) as theirs,
    ):
        await theirs.setup()
        graphs = {"memory_api": graph(ours), "postgres": graph(theirs)}
        for compiled in graphs.values():  # warm up: connections, prepared statements
            await _runs(compiled, 1)
        for _ in range(rounds):
            for name, compiled in graphs.items():
                seconds[name] += await _runs(compiled, runs)
        stored = [t async for t in ours.alist(None, limit=10_000)]
    steps = STEPS * runs * rounds
    per_second = {name: steps / spent for name, spent in seconds.items()}
    return {
        "steps_per_run": STEPS,
        "runs": runs * rounds,
        "memory_api_steps_per_s": round(per_second["memory_api"], 1),
        "async_postgres_saver_steps_per_s": round(per_second["postgres"], 1),
        "ratio": round(per_second["memory_api"] / per_second["postgres"], 3),
        "memory_api_checkpoints_stored": len(stored),
    }


def measure(runs: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_name, temporary_postgres() as database:
        api = server(Path(tmp_name), MEMORY_API_DATABASE_URL=database)
        api.start()
        try:
            return asyncio.run(_compare(api.url, database, runs, rounds))
        except BaseException:
            print(api.log_path.read_text()[-3000:])
            raise
        finally:
            api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per saver per round")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    figures = measure(arguments.runs, arguments.rounds)
    figures["target"] = ">= 0.5"
    figures["met"] = figures["ratio"] >= 0.5
    report("langgraph_steps", figures)


if __name__ == "__main__":
    main()
