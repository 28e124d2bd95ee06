"""Re-indexing an unchanged corpus: files/s skipped (hash lookups in bulk).

    python -m bench.reindex_unchanged [--files 5000]
Target: >= 2,000 files/s.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench._common import report, server
from memory_api.client import MemoryClient


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
            MEMORY_API_INDEX_ROOTS=str(docs),
            MEMORY_API_JOB_POLL_INTERVAL="0.1",
        )
        api.start()

        with MemoryClient(api.url) as client:
            first, second = (
                client.index_and_wait(str(docs), poll_interval=0.1, timeout=3600).result or {}
                for _ in range(2)
            )
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
