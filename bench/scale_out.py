"""Scale-out: the state benchmark with 2 API processes vs 1 (PostgreSQL + a Chroma server).

python -m bench.scale_out [--seconds 10]
"""

from __future__ import annotations

import argparse

from bench._common import report
from bench._wrk import WRK
from bench.state_throughput import measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--client", choices=["wrk", "python"], default="wrk" if WRK else "python")
    args = parser.parse_args()
    one = measure(args.seconds, args.concurrency, 1, args.client)
    two = measure(args.seconds, args.concurrency, 2, args.client)
    ratios = {
        kind: round(two[kind]["requests_per_s"] / one[kind]["requests_per_s"], 3)
        for kind in ("livez", "get_state", "post_state")
    }
    report(
        "scale_out",
        {"one_process": one, "two_processes": two, "two_vs_one": ratios, "settings": vars(args)},
    )


if __name__ == "__main__":
    main()
