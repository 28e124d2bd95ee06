"""Retrieval quality on the LoCoMo development split, through the real API, per mode and backend.

    python -m bench.retrieval_quality [--dataset ../shared/datasets/locomo-dev]
        [--backends sqlite,postgres] [--modes hybrid,semantic,lexical] [--conversations 26,30]

A mode may carry fusion options, ``hybrid:convex:0.3`` or ``hybrid:rrf:0.5:60`` (method,
semantic weight, rrf k), to compare fusions on one index.

The protocol is the dataset's README: each session becomes a text file
``<conv>_session_NN.txt`` (first line ``Session N (<date>)``, then ``[<dia_id>] <speaker>:
<text>`` per turn, `` [shares a photo: <caption>]`` appended when there is one); each
conversation is indexed through ``/index_files`` with default settings, in a service of its own
(a fresh server, so each conversation is searched alone), then every question of categories 1-4
with evidence is asked through ``/rag_query``. Evidence recall of a result list is the share of
the question's evidence ids found as ``[D3:5]`` in the returned content; reported: recall@1, @5,
@10 (a request with ``top_k`` = k), recall at a 5,000-character budget (the results of a
``top_k`` = 20 request with ``max_chars`` = 5,000: hits taken in rank order until their content
reaches 5,000 characters, the last one included) and the mean characters so returned. Also:
indexing chunks/s and the query latency per mode (as the client sees it, p50 / p95).
Backends: ``sqlite`` (SQLite + embedded Chroma, the embedded default) and ``postgres``
(PostgreSQL + a Chroma server, the production pair).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench._common import REPO, percentile, report, server, temporary_postgres
from memory_api.jobs.status import JobStatus
from memory_api.testing.chroma_server import ChromaServer
from memory_api.testing.jobs import wait_for_job_sync
from memory_api.testing.server import ServerProcess

DATASET = REPO.parent / "shared" / "datasets" / "locomo-dev"
BUDGET = 5000
TAG = re.compile(r"\[(D\d+:\d+)\]")
MODES = ("hybrid", "semantic", "lexical")


def session_files(conversation: dict[str, Any], name: str, folder: Path) -> int:
    """Write one file per session as the protocol says; the number of turns."""
    folder.mkdir(parents=True)
    data = conversation
    turns = 0
    number = 1
    while f"session_{number}" in data:
        lines = [f"Session {number} ({data[f'session_{number}_date_time']})"]
        for turn in data[f"session_{number}"]:
            line = f"[{turn['dia_id']}] {turn['speaker']}: {turn['text']}"
            if turn.get("blip_caption"):
                line += f" [shares a photo: {turn['blip_caption']}]"
            lines.append(line)
            turns += 1
        (folder / f"{name}_session_{number:02d}.txt").write_text("\n".join(lines) + "\n")
        number += 1
    return turns


def questions(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        qa for qa in conversation["qa"] if qa.get("category") in (1, 2, 3, 4) and qa.get("evidence")
    ]


def variant(mode: str) -> tuple[str, dict[str, Any] | None]:
    """``hybrid``, or ``hybrid:convex:0.3`` / ``hybrid:rrf:0.5:60``: hybrid with those fusion
    options (method, semantic weight, rrf k), to compare fusions on the same index."""
    name, *options = mode.split(":")
    if not options:
        return name, None
    fusion: dict[str, Any] = {"method": options[0]}
    if len(options) > 1:
        fusion["semantic_weight"] = float(options[1])
    if len(options) > 2:
        fusion["rrf_k"] = float(options[2])
    return name, fusion


def recall(evidence: list[str], contents: list[str]) -> float:
    found = {tag for content in contents for tag in TAG.findall(content)}
    wanted = [item.strip() for item in evidence]
    return sum(1 for item in wanted if item in found) / len(wanted)


def within_budget(contents: list[str]) -> list[str]:
    taken, total = [], 0
    for content in contents:
        taken.append(content)
        total += len(content)
        if total >= BUDGET:
            break
    return taken


def wait_healthy(client: httpx.Client, limit_seconds: float = 300) -> None:
    """Until /health says 200: the model loads after the server answers (503 meanwhile)."""
    deadline = time.monotonic() + limit_seconds
    while client.get("/health").status_code != 200:
        if time.monotonic() > deadline:
            raise TimeoutError("the server did not become healthy")
        time.sleep(0.5)


@contextmanager
def stack(backend: str, tmp: Path) -> Iterator[dict[str, str]]:
    """Settings for one backend pair; the servers it needs live for the block."""
    if backend == "sqlite":
        yield {}
        return
    with temporary_postgres() as url, ExitStack() as stop:
        chroma = ChromaServer(tmp / "chroma-server")
        chroma.start()
        stop.callback(chroma.stop)
        yield {
            "MEMORY_API_DATABASE_URL": url,
            "MEMORY_API_CHROMA_HOST": chroma.host,
            "MEMORY_API_CHROMA_PORT": str(chroma.port),
        }


def run_conversation(
    name: str, conversation: dict[str, Any], backend_env: dict[str, str], tmp: Path,
    modes: list[str],
) -> dict[str, Any]:  # fmt: skip
    docs = tmp / "docs"
    folder = docs / name
    turns = session_files(conversation, name, folder)
    env = {
        **backend_env,
        "MEMORY_API_INDEX_ROOTS": str(docs),
        "MEMORY_API_COLLECTION_NAME": f"locomo-{name}",
        "MEMORY_API_JOB_POLL_INTERVAL": "0.2",
    }
    api: ServerProcess = server(tmp, **env)
    api.start()
    try:
        with httpx.Client(base_url=api.url, timeout=120) as client:
            wait_healthy(client)
            started = time.perf_counter()
            response = client.post("/index_files", json={"directory": str(folder),
                                                        "file_extensions": [".txt"]})  # fmt: skip
            response.raise_for_status()
            job = wait_for_job_sync(client, response.json()["status_url"], limit_seconds=3600)
            seconds = time.perf_counter() - started
            assert job["status"] == JobStatus.COMPLETED, job
            out: dict[str, Any] = {
                "turns": turns,
                "chunks": job["result"]["chunks_written"],
                "index_seconds": round(seconds, 2),
                "chunks_per_s": round(job["result"]["chunks_written"] / seconds, 1),
                "modes": {},
            }
            asked = questions(conversation)
            for mode in modes:
                plain, fusion = variant(mode)
                scores: dict[str, list[float]] = {"r1": [], "r5": [], "r10": [], "rb": []}
                chars: list[int] = []
                latencies: list[float] = []
                for qa in asked:
                    for k in (1, 5, 10, 20):
                        body: dict[str, Any] = {"query": qa["question"], "top_k": k, "mode": plain}
                        if fusion:
                            body["fusion"] = fusion
                        if k == 20:  # the budget: hits until the content reaches it
                            body["max_chars"] = BUDGET
                        sent = time.perf_counter()
                        answer = client.post("/rag_query", json=body)
                        latencies.append(time.perf_counter() - sent)
                        answer.raise_for_status()
                        contents = [result["content"] for result in answer.json()["results"]]
                        if k < 20:
                            scores[f"r{k}"].append(recall(qa["evidence"], contents))
                        else:
                            taken = within_budget(contents)
                            scores["rb"].append(recall(qa["evidence"], taken))
                            chars.append(sum(len(content) for content in taken))
                out["modes"][mode] = {
                    "questions": len(asked),
                    **{key: values for key, values in scores.items()},
                    "chars": chars,
                    "latency_ms": latencies,
                }
            return out
    finally:
        api.stop()


def summarise(per_conversation: dict[str, dict[str, Any]], modes: list[str]) -> dict[str, Any]:
    """Means over all questions (each question counts once), per mode."""
    summary: dict[str, Any] = {}
    for mode in modes:
        merged: dict[str, list[float]] = {}
        for result in per_conversation.values():
            for key, values in result["modes"][mode].items():
                if isinstance(values, list):
                    merged.setdefault(key, []).extend(values)
        latency = merged.pop("latency_ms")
        summary[mode] = {
            **{key: round(sum(values) / len(values), 3) for key, values in merged.items()},
            "questions": len(merged["r1"]),
            "latency_p50_ms": round(percentile(latency, 50) * 1000, 2),
            "latency_p95_ms": round(percentile(latency, 95) * 1000, 2),
        }
        summary[mode]["chars"] = round(summary[mode]["chars"])
    chunks = sum(result["chunks"] for result in per_conversation.values())
    seconds = sum(result["index_seconds"] for result in per_conversation.values())
    summary["indexing"] = {"chunks": chunks, "chunks_per_s": round(chunks / seconds, 1)}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--conversations", default="", help="e.g. 26,30 (default: all)")
    parser.add_argument(
        "--precision",
        choices=["default", "fp32", "int8"],
        default="default",
        help="MEMORY_API_EMBEDDING_PRECISION of the servers (default: the service's)",
    )
    args = parser.parse_args()
    modes = args.modes.split(",")
    files = sorted(args.dataset.glob("*.json"))
    if args.conversations:
        files = [path for path in files if path.stem in args.conversations.split(",")]
    if not files:
        raise SystemExit(f"no conversation (*.json) in {args.dataset}: see --dataset")
    figures: dict[str, Any] = {
        "dataset": str(args.dataset), "budget_chars": BUDGET, "precision": args.precision,
    }  # fmt: skip
    cache = Path(tempfile.mkdtemp(prefix="bench-models-"))  # one int8 build for every server
    precision = {} if args.precision == "default" else {
        "MEMORY_API_EMBEDDING_PRECISION": args.precision
    }  # fmt: skip
    for backend in args.backends.split(","):
        per_conversation: dict[str, dict[str, Any]] = {}
        for path in files:
            with tempfile.TemporaryDirectory() as tmp_name, stack(backend, Path(tmp_name)) as env:
                conversation = json.loads(path.read_text())
                env = {**env, **precision, "MEMORY_API_EMBEDDING_CACHE_DIR": str(cache)}
                result = run_conversation(path.stem, conversation, env, Path(tmp_name), modes)
            per_conversation[path.stem] = result
            budget = {mode: result["modes"][mode]["rb"] for mode in modes}
            line = ", ".join(f"{m} r@B {sum(v) / len(v):.3f}" for m, v in budget.items())
            print(f"{backend} {path.stem}: {line}", flush=True)
        figures[backend] = {
            "all": summarise(per_conversation, modes),
            "per_conversation": {
                name: summarise({name: result}, modes) for name, result in per_conversation.items()
            },
        }
    shutil.rmtree(cache, ignore_errors=True)
    report(f"retrieval_quality_{args.precision}", figures)


if __name__ == "__main__":
    main()
