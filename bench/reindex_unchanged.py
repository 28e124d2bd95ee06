"""Re-indexing an unchanged corpus: files/s skipped (hash lookups in bulk).

    python -m bench.reindex_unchanged [--files 5000]
Target: >= 2,000 files/s.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench._common import report, server
from memory_api.testing.jobs import wait_for_job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        docs = tmp / "docs"
        docs.mkdir()
        for i in range(args.files):
            (docs / f"note{i:05d}.md").write_text(f"Note {i}: short memo number {i}.")
        api = server(
            tmp,
            "--log-level",
            "warning",
            MEMORY_API_INDEX_ROOTS=str(docs),
            MEMORY_API_JOB_POLL_INTERVAL="0.1",
        )
        api.start()

        async def index() -> dict[str, Any]:
            async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
                started = await client.post("/index_files", json={"directory": str(docs)})
                job = await wait_for_job(client, started.json()["status_url"], limit_seconds=3600)
                result: dict[str, Any] = job["result"]
                return result

        first = asyncio.run(index())
        second = asyncio.run(index())
        api.stop()
    rate = second["skipped"] / second["duration_seconds"]
    report(
        "reindex_unchanged",
        {
            "files": args.files,
            "first_run_seconds": first["duration_seconds"],
            "skipped": second["skipped"],
            "reindex_seconds": second["duration_seconds"],
            "files_per_s": round(rate, 1),
            "target": ">= 2000 files/s",
            "met": rate >= 2000,
        },
    )


if __name__ == "__main__":
    main()
