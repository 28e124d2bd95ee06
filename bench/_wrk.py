"""Closed-loop load with wrk (Debian's ``wrk`` package), the C load generator issue 17 names:
``load``'s drop-in where it is installed. wrk sends a pool of raw requests (``make(0..POOL-1)``)
in turn from each connection and reports its latency distribution through ``done`` as 1,000
quantiles, from which the run's latencies are rebuilt (one per 2xx request, to 0.1 percentile),
so rounds merge as ``load``'s do."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench._common import LoadResult

WRK = shutil.which("wrk")
POOL = 1000  # distinct requests: state rounds touch s0..s999
QUANTILES = 1000

# wrk's Lua (LuaJIT, Lua 5.1 patterns: %z is NUL). Each thread starts at its own place in the
# pool; ``done`` prints the request count, the duration, the errors and the quantiles in us.
SCRIPT = r"""
local pool, n, i = {}, 0, 0
local threads = 0
setup = function(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end
init = function(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  for r in string.gmatch(data, "([^%z]+)") do n = n + 1; pool[n] = r end
  i = (offset or 0) % n
end
request = function()
  i = i % n + 1
  return pool[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d\n", summary.requests, summary.duration,
    e.status + e.connect + e.read + e.write + e.timeout))
  for q = 1, QUANTILES do
    io.write(string.format("WRKQ %d\n", latency:percentile(q * 100 / QUANTILES)))
  end
end
""".replace("QUANTILES", str(QUANTILES))


def wrk_load(
    port: int, make: Callable[[int], bytes], concurrency: int, seconds: float
) -> LoadResult:
    """``concurrency`` keep-alive connections (2 threads, wrk's default) for ``seconds``."""
    if WRK is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        pool, script = Path(tmp) / "requests", Path(tmp) / "pool.lua"
        pool.write_bytes(b"\0".join(make(i) for i in range(POOL)))
        script.write_text(SCRIPT)
        out = subprocess.run(
            [
                *(WRK, "-t2", f"-c{concurrency}", f"-d{max(1, round(seconds))}s"),
                *("-s", str(script), f"http://127.0.0.1:{port}/", "--", str(pool)),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    head = next(line for line in out.splitlines() if line.startswith("WRK "))
    requests, duration_us, errors = (int(value) for value in head.split()[1:])
    lines = out.splitlines()
    quantiles = [int(line.split()[1]) / 1e6 for line in lines if line.startswith("WRKQ ")]
    ok = max(0, requests - errors)
    result = LoadResult(seconds=duration_us / 1e6, errors=errors)
    result.latencies = [quantiles[min(QUANTILES - 1, j * QUANTILES // ok)] for j in range(ok)]
    return result
