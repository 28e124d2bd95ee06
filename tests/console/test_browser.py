"""The console in a real headless Chromium against a real ``memory-api serve`` (SQLite and
embedded Chroma, keys set): each view loads, create/read/delete go through the UI, errors are
shown, the browser log stays clean, and screenshots (desktop and 390 px) are saved."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from memory_api.testing.browser import (
    DESKTOP,
    LOW_CONTRAST_SCRIPT,
    PHONE,
    BrowserLog,
    Served,
    shoot,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
Console = Callable[..., tuple[Any, BrowserLog]]
VIEWS = {
    "sessions": "Sessions",
    "memory": "Long-term memory",
    "search": "Search playground",
    "health": "Health and statistics",
}


def highlighted(result: dict[str, Any]) -> list[str]:
    """The words the console should mark: those starting with a matched (stemmed) term."""
    terms = result["matched_terms"]
    if not terms:
        return []
    pattern = r"\b(?:" + "|".join(map(re.escape, terms)) + r")\w*"
    return re.findall(pattern, result["content"], flags=re.IGNORECASE)


def shown_scores(result: dict[str, Any]) -> list[str]:
    """The .scores text the console should show for a result, from the API's own JSON."""
    s = result["scores"]

    def score(label: str, value: float | None, digits: int, rank: int | None = None) -> list[str]:
        return [label, "—" if value is None else f"{value:.{digits}f}"] + (
            [f"#{rank}"] if rank else []
        )

    return [
        *score("fused", s.get("fused"), 3),
        *score("semantic", s.get("semantic"), 3, s.get("semantic_rank")),
        *score("lexical", s.get("lexical"), 2, s.get("lexical_rank")),
    ]


def assert_hits_match(hits: Any, expected: list[dict[str, Any]]) -> None:
    """The hits shown are the API's for the same request: order, scores, ranks, terms."""
    assert hits.locator(".hit-head code").all_inner_texts() == [
        r["metadata"]["relative_path"] for r in expected
    ]
    for hit, result in zip(hits.all(), expected, strict=True):
        assert hit.locator(".scores").inner_text().split() == shown_scores(result)
        assert hit.locator(".term").all_inner_texts() == result["matched_terms"]
        assert hit.locator(".content mark").all_inner_texts() == highlighted(result)
        assert hit.locator(".content").inner_text() == result["content"]


def test_sessions_create_read_delete_through_the_ui(
    console: Console, served: Served, shots: Path
) -> None:
    served.api.post("/state/other-agent", json={"state_data": {"step": 9}}).raise_for_status()
    page, log = console(DESKTOP)
    page.get_by_role("button", name="other-agent").wait_for()
    state = {"messages": [{"role": "user", "content": "hello"}], "step": 2, "done": False}

    form = page.get_by_role("form", name="New session")
    form.get_by_label("Session id").fill("console-e2e")
    form.get_by_label("State (JSON)").fill(json.dumps(state))
    form.get_by_role("button", name="Save state").click()
    page.get_by_text("Session console-e2e saved").wait_for()
    assert served.api.get("/state/console-e2e").json()["state_data"] == state

    # The id-prefix search leaves only the matching session in the list.
    page.get_by_label("Session id prefix").fill("console-")
    listing = page.get_by_role("region", name="Session list")
    page.wait_for_function(  # the list held other-agent too before
        """() => [...document.querySelectorAll('[aria-label="Session list"] tbody td:first-child')]
                 .map((cell) => cell.textContent).join(",") === "console-e2e" """
    )

    # The state as a tree: "messages" is open (depth 1), its item folds and unfolds.
    tree = page.locator(".json")
    assert tree.locator("summary").first.inner_text() == "state {3}"
    summary = tree.locator("summary", has_text="0 {2}")
    item = summary.locator("xpath=..")
    assert item.get_attribute("open") is None
    assert not tree.get_by_text('"hello"').is_visible()
    summary.click()
    assert item.get_attribute("open") == ""
    assert tree.get_by_text('"hello"').is_visible()
    shoot(page, shots, "sessions-desktop")

    page.get_by_role("button", name="Delete session").click()
    confirm = page.get_by_role("dialog", name="Are you sure?")
    confirm.get_by_role("button", name="Cancel").click()
    assert served.api.get("/state/console-e2e").status_code == 200
    page.get_by_role("button", name="Delete session").click()
    confirm.get_by_role("button", name="Delete").click()
    page.get_by_text("Session console-e2e deleted").wait_for()
    assert served.api.get("/state/console-e2e").status_code == 404
    listing.get_by_text("No session starts with that prefix.").wait_for()
    assert log.problems == []


def test_index_a_folder_then_search_and_watch_health(
    console: Console, served: Served, shots: Path
) -> None:
    page, log = console(DESKTOP)
    page.get_by_role("link", name="Long-term memory").click()
    form = page.get_by_role("form", name="Index a folder")
    form.get_by_label("Directory (absolute, inside MEMORY_API_INDEX_ROOTS)").fill(
        str(served.documents)
    )
    form.get_by_label("File extensions").fill(".md, .txt")
    form.get_by_role("button", name="Start indexing").click()
    status = form.get_by_role("status")
    status.locator(".badge.completed").wait_for(timeout=120_000)
    assert status.get_by_text("100%").count() == 1
    assert page.get_by_label("Indexing progress").get_attribute("value") == "100"
    assert "Indexed 2 files" in status.inner_text()
    paths = served.api.get("/openapi.json").json()["paths"]
    if "/collections" in paths:  # issue 13's routes, once merged
        page.get_by_role("button", name="codebase_docs").wait_for()
    else:
        page.get_by_text("This server has no collections API").wait_for()
    page.get_by_role("region", name="Recent jobs").locator(".badge.completed").first.wait_for()
    shoot(page, shots, "memory-desktop")

    page.get_by_role("link", name="Search").click()
    search = page.get_by_role("search")
    search.get_by_label("Query").fill("rotate the keys")
    search.get_by_label("Mode").select_option("hybrid")
    search.get_by_label("Top k").fill("2")
    search.get_by_role("button", name="Search").click()
    hits = page.locator(".hit")
    hits.first.wait_for()
    request = {"query": "rotate the keys", "top_k": 2, "mode": "hybrid"}
    expected = served.api.post("/rag_query", json=request).json()["results"]
    assert expected[0]["metadata"]["relative_path"] == "ops.md"
    assert_hits_match(hits, expected)
    assert expected[0]["matched_terms"]  # a real lexical hit, its words marked
    assert hits.first.locator(".content mark").count() >= 2
    assert hits.first.locator(".why").inner_text().startswith("1st by meaning (cosine ")
    shoot(page, shots, "search-desktop")
    for mode in ("semantic", "lexical"):  # the other modes, the same checks
        search.get_by_label("Mode").select_option(mode)
        search.get_by_role("button", name="Search").click()
        page.get_by_text(f"· {mode} ·").wait_for()
        expected = served.api.post("/rag_query", json={**request, "mode": mode}).json()
        assert_hits_match(hits, expected["results"])
        assert expected["results"][0]["metadata"]["relative_path"] == "ops.md"

    page.get_by_role("link", name="Health").click()
    services = page.locator(".services li")
    services.first.wait_for()
    assert services.all_inner_texts() == ["ok database", "ok vector store", "ok embedding model"]
    documents = page.locator(".card", has_text="documents").locator(".card-value")
    assert documents.inner_text() == "2"
    stamp = page.get_by_text("Updated ")
    first_stamp = stamp.inner_text()
    deadline = time.monotonic() + 30  # it refreshes itself every 5 s
    while stamp.inner_text() == first_stamp and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert stamp.inner_text() != first_stamp
    shoot(page, shots, "health-desktop")
    assert log.problems == []


def test_ranks_scores_and_matched_terms_are_explained(console: Console) -> None:
    """The rendering of a hybrid hit found by both lists, from a known answer (the lexical
    index comes with the hybrid-retrieval work; the real answer is checked above)."""
    page, log = console(DESKTOP)
    answer = {
        "query": "rotate keys",
        "mode": "hybrid",
        "collection": "codebase_docs",
        "execution_time_ms": 3.25,
        "results": [
            {
                "content": "# Keys\nWe rotate the API keys <b>monthly</b>.",
                "metadata": {"relative_path": "ops.md", "chunk_index": 0},
                "similarity_score": 0.93,
                "scores": {
                    "semantic": 0.71,
                    "semantic_rank": 1,
                    "lexical": 4.25,
                    "lexical_rank": 3,
                    "fused": 0.93,
                },
                "doc_id": "file:1",
                "matched_terms": ["key", "rotat"],
            }
        ],
    }
    page.route("**/rag_query", lambda route: route.fulfill(json=answer))
    page.get_by_role("link", name="Search").click()
    page.get_by_label("Query").fill("rotate keys")
    page.get_by_role("button", name="Search").click()
    hit = page.locator(".hit")
    hit.wait_for()
    assert hit.locator(".content mark").all_inner_texts() == ["Keys", "rotate", "keys"]
    assert hit.locator(".content b").count() == 0  # text, never markup
    assert hit.locator(".why").inner_text() == (
        "1st by meaning (cosine 0.710) and 3rd by words (BM25 4.25); fused score 0.930."
    )
    assert hit.locator(".scores").inner_text().split() == [
        "fused",
        "0.930",
        "semantic",
        "0.710",
        "#1",
        "lexical",
        "4.25",
        "#3",
    ]
    assert page.get_by_text("1 result(s) in 3.3 ms · hybrid · codebase_docs").is_visible()
    assert log.problems == []


def test_a_503_is_a_visible_message(console: Console) -> None:
    page, log = console(DESKTOP)
    log.expect(503, "/rag_query")
    page.route(
        "**/rag_query",
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body=json.dumps({"detail": "Vector store unavailable"}),
        ),
    )
    page.get_by_role("link", name="Search").click()
    page.get_by_label("Query").fill("anything")
    page.get_by_role("button", name="Search").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == "Search failed: Vector store unavailable (HTTP 503)"
    # And a bad filter is refused before any request, with the reason.
    page.get_by_label("Metadata filter (JSON, optional)").fill("{nope")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("The filter is not valid JSON").wait_for()
    assert log.problems == []


def test_every_view_fits_a_phone_and_works_from_the_keyboard(
    console: Console, served: Served, shots: Path
) -> None:
    page, log = console(PHONE)
    for view, heading in VIEWS.items():
        page.goto(f"{served.url}/ui#/{view}")
        page.get_by_role("heading", name=heading, level=1).wait_for()
        page.wait_for_function("() => !document.querySelector('[aria-busy]')")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width == PHONE["width"], (view, width)  # nothing wider than the screen
        shoot(page, shots, f"{view}-390px")
    # Keyboard only: from the skip link (shown when focused), Tab reaches the views' links in
    # order; Enter opens one and moves the focus to the new view.
    page.goto(f"{served.url}/ui#/sessions")
    page.get_by_role("heading", name="Sessions", level=1).wait_for()
    skip = page.get_by_role("link", name="Skip to content")
    skip.focus()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0  # on screen, not parked off to the left
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Sessions"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Long-term memory"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Long-term memory", level=1).wait_for()
    assert page.get_by_role("link", name="Long-term memory").get_attribute("aria-current") == "page"
    assert page.evaluate("document.activeElement.id") == "main"
    # Every form control has a name a screen reader can say.
    unnamed = page.evaluate(
        """[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
           .filter((el) => !el.labels?.length && !el.getAttribute('aria-label'))
           .map((el) => el.outerHTML)"""
    )
    assert unnamed == []
    assert log.problems == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_is_aa_in_both_themes(console: Console, served: Served, scheme: str) -> None:
    served.api.post("/state/contrast", json={"state_data": {"a": [1, "x", None]}})
    page, log = console(DESKTOP, scheme)
    page.get_by_role("button", name="contrast").click()  # a state tree, its colours
    page.get_by_role("button", name="Delete session").wait_for()
    assert page.evaluate(LOW_CONTRAST_SCRIPT) == [], "sessions"
    for view, heading in VIEWS.items():
        page.goto(f"{served.url}/ui#/{view}")
        page.get_by_role("heading", name=heading, level=1).wait_for()
        page.wait_for_function("() => !document.querySelector('[aria-busy]')")
        assert page.evaluate(LOW_CONTRAST_SCRIPT) == [], view
    assert log.problems == []
