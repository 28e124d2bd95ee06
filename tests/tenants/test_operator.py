"""What counts every tenant is the operator's: ``/metrics`` answers default tenant keys only."""

from __future__ import annotations

import pytest

from memory_api.testing.tenants import Tenants


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
async def test_metrics_are_the_operators(tenants: Tenants) -> None:
    started = await tenants.client("acme").post("/index_files", json={})
    assert started.status_code == 202, started.text
    for tenant in ("acme", "globex", "initech"):
        refused = await tenants.client(tenant).get("/metrics")
        assert refused.status_code == 403, tenant
        assert refused.json() == {
            "detail": "metrics count every tenant's activity: only keys of the default tenant "
            "(the operator's) may read them"
        }
    served = await tenants.client("default").get("/metrics")
    assert served.status_code == 200
    # acme's job is counted there, with every other tenant's.
    jobs = [line for line in served.text.splitlines() if line.startswith("memory_api_index_jobs{")]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in jobs) == 1.0, jobs
