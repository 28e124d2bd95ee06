"""Versions, ETags and conditional requests (RFC 9110) on the state endpoints, both databases."""

from __future__ import annotations

import asyncio
import re

import httpx

Body = dict[str, object]
#: the server's ETag: "<version>-<incarnation>"
ETAG = re.compile(r'"([0-9]+)-([0-9a-f]+)"')


def tag(response: httpx.Response) -> tuple[int, str]:
    """The (version, incarnation) a response's ETag names."""
    match = ETAG.fullmatch(response.headers["etag"])
    assert match is not None, response.headers["etag"]
    return int(match.group(1)), match.group(2)


async def _post(client: httpx.AsyncClient, sid: str, state: Body, **headers: str) -> httpx.Response:
    return await client.post(f"/state/{sid}", json={"state_data": state}, headers=headers)


async def test_version_and_etag_grow_by_one_per_write(client: httpx.AsyncClient) -> None:
    first = await _post(client, "v", {"n": 1})
    version, incarnation = tag(first)
    assert (first.status_code, version) == (201, 1)
    assert first.json() == {"status": "ok", "session_id": "v"}
    second = await _post(client, "v", {"n": 2})
    assert tag(second) == (2, incarnation)
    got = await client.get("/state/v")
    assert got.headers["etag"] == second.headers["etag"]
    body = got.json()
    assert (body["version"], body["expires_at"], body["state_data"]) == (2, None, {"n": 2})


async def test_if_match_current_version_writes_stale_one_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    first = (await _post(client, "m", {"n": 1})).headers["etag"]
    ok = await _post(client, "m", {"n": 2}, **{"If-Match": first})
    assert (ok.status_code, tag(ok)[0]) == (201, 2)
    stale = await _post(client, "m", {"n": 3}, **{"If-Match": first})
    assert stale.status_code == 412
    assert "version" in stale.json()["detail"]
    body = (await client.get("/state/m")).json()
    assert (body["version"], body["state_data"]) == (2, {"n": 2})


async def test_if_match_forms(client: httpx.AsyncClient) -> None:
    # absent session: If-Match never holds, and nothing is created
    assert (await _post(client, "f", {}, **{"If-Match": '"1-0"'})).status_code == 412
    assert (await _post(client, "f", {}, **{"If-Match": "*"})).status_code == 412
    assert (await client.get("/state/f")).status_code == 404
    first = await _post(client, "f", {"n": 1})
    second = await _post(client, "f", {"n": 2}, **{"If-Match": "*"})
    assert tag(second) == (2, tag(first)[1])
    current = second.headers["etag"]
    # strong comparison: a weak tag never matches; a list matches if one tag does; tags that
    # are not the server's (the bare version "2" of earlier builds among them) match nothing
    for other in (f"W/{current}", '"x-2"', '"2"', current.replace('"2-', '"02-')):
        assert (await _post(client, "f", {}, **{"If-Match": other})).status_code == 412, other
    listed = await _post(client, "f", {"n": 3}, **{"If-Match": f'"7", {current}'})
    assert (listed.status_code, tag(listed)[0]) == (201, 3)
    assert (await _post(client, "f", {}, **{"If-Match": f'"7", {current}'})).status_code == 412
    assert (await client.get("/state/f")).json()["state_data"] == {"n": 3}


async def test_if_none_match_star_creates_only(client: httpx.AsyncClient) -> None:
    created = await _post(client, "c", {"n": 1}, **{"If-None-Match": "*"})
    assert (created.status_code, tag(created)[0]) == (201, 1)
    again = await _post(client, "c", {"n": 2}, **{"If-None-Match": "*"})
    assert again.status_code == 412
    assert (await client.get("/state/c")).json()["state_data"] == {"n": 1}
    # a tag list: written unless the session is at one of them
    at_one = created.headers["etag"]
    assert (await _post(client, "c", {}, **{"If-None-Match": at_one})).status_code == 412
    other = at_one.replace('"1-', '"9-')
    assert (await _post(client, "c", {"n": 3}, **{"If-None-Match": other})).status_code == 201


async def test_get_if_none_match_answers_304(client: httpx.AsyncClient) -> None:
    first = (await _post(client, "g", {"n": 1})).headers["etag"]
    current = (await _post(client, "g", {"n": 2})).headers["etag"]
    for held in (current, f"W/{current}", "*", f"{first}, {current}"):
        response = await client.get("/state/g", headers={"If-None-Match": held})
        assert (response.status_code, response.content) == (304, b""), held
        assert response.headers["etag"] == current
    for held in (first, '"2"'):  # an older version; the bare version is no ETag of ours
        response = await client.get("/state/g", headers={"If-None-Match": held})
        assert (response.status_code, response.json()["version"]) == (200, 2), held


async def test_conditional_delete(client: httpx.AsyncClient) -> None:
    first = (await _post(client, "d", {"n": 1})).headers["etag"]
    current = (await _post(client, "d", {"n": 2})).headers["etag"]
    stale = await client.delete("/state/d", headers={"If-Match": first})
    assert stale.status_code == 412
    assert (await client.get("/state/d")).status_code == 200
    gone = await client.delete("/state/d", headers={"If-Match": current})
    assert gone.status_code == 204
    absent = await client.delete("/state/d", headers={"If-Match": current})
    assert (absent.status_code, absent.json()) == (404, {"detail": "Session not found"})


async def test_concurrent_conditional_writers_exactly_one_wins(client: httpx.AsyncClient) -> None:
    first = (await _post(client, "race", {"writer": None})).headers["etag"]
    responses = await asyncio.gather(
        *(_post(client, "race", {"writer": i}, **{"If-Match": first}) for i in range(50))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [412] * 49
    winner = next(i for i, r in enumerate(responses) if r.status_code == 201)
    body = (await client.get("/state/race")).json()
    assert (body["version"], body["state_data"]) == (2, {"writer": winner})


async def test_concurrent_creators_exactly_one_wins(client: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(
        *(_post(client, "first", {"writer": i}, **{"If-None-Match": "*"}) for i in range(50))
    )
    assert sorted(r.status_code for r in responses) == [201] + [412] * 49
    assert (await client.get("/state/first")).json()["version"] == 1


async def test_etag_of_a_deleted_incarnation_does_not_match_the_new_one(
    client: httpx.AsyncClient,
) -> None:
    for n in range(3):
        await _post(client, "i", {"old": n})
    old_etag = (await client.get("/state/i")).headers["etag"]
    assert (await client.delete("/state/i")).status_code in (200, 204)
    for n in range(3):
        await _post(client, "i", {"new": n})
    assert (await client.get("/state/i")).json()["version"] == 3  # same version, new session
    new = await client.get("/state/i")
    assert tag(new)[0] == 3 and new.headers["etag"] != old_etag
    stale = await _post(client, "i", {"lost": True}, **{"If-Match": old_etag})
    assert stale.status_code == 412
    patch = {"Content-Type": "application/merge-patch+json", "If-Match": old_etag}
    assert (await client.patch("/state/i", content=b'{"lost":1}', headers=patch)).status_code == 412
    assert (await client.delete("/state/i", headers={"If-Match": old_etag})).status_code == 412
    changed = await client.get("/state/i", headers={"If-None-Match": old_etag})
    assert (changed.status_code, changed.json()["state_data"]) == (200, {"new": 2})
    # the new incarnation's own ETag still works
    kept = await _post(client, "i", {"new": 3}, **{"If-Match": new.headers["etag"]})
    assert (kept.status_code, tag(kept)) == (201, (4, tag(new)[1]))
