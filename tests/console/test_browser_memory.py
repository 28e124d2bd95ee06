"""The console's long-term memory and history views in a real headless Chromium against a real
``memory-api serve``: a file dropped on the upload zone becomes a document (its chunks and chunk
count shown), a
document is deleted only once its confirmation is accepted, and two versions of a session are
compared key by key. The browser log stays clean."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from memory_api.testing.browser import DESKTOP, BrowserLog, Served, shoot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
Console = Callable[..., tuple[Any, BrowserLog]]

DROP_FILES = """([zone, name, text]) => {
  const data = new DataTransfer();
  data.items.add(new File([text], name, { type: "text/markdown" }));
  for (const type of ["dragenter", "dragover", "drop"]) {
    const init = { bubbles: true, cancelable: true, dataTransfer: data };
    zone.dispatchEvent(new DragEvent(type, init));
  }
}"""


# The "dropped" row of the collections table shows this many documents.
COLLECTION_HAS = """() => [...document.querySelectorAll("tr")].some((row) =>
  row.textContent.startsWith("dropped") && row.querySelector("td.num")?.textContent === "%d")"""


def _documents(served: Served, collection: str) -> list[str]:
    listing = served.api.get(f"/collections/{collection}/documents").json()
    rows = listing if isinstance(listing, list) else listing.get("items", listing.get("documents"))
    return [row["doc_id"] for row in rows]


def test_drop_a_file_read_its_chunks_then_delete_it(
    console: Console, served: Served, shots: Path
) -> None:
    served.api.post("/collections", json={"name": "dropped"}).raise_for_status()
    page, log = console(DESKTOP)
    page.get_by_role("link", name="Long-term memory").click()
    page.get_by_role("button", name="dropped").click()
    page.get_by_role("heading", name="Documents in dropped").wait_for()
    zone = page.locator("label.drop")
    text = "# Harbour notes\nThe ferry to Tallinn leaves at 07:40 from terminal D.\n"
    page.evaluate(DROP_FILES, [zone.element_handle(), "harbour.md", text])
    # Small uploads are indexed in the request; a larger one's job is followed to its end
    # (its progress bar labelled "Upload progress"); then the list shows the new document.
    status = page.locator(".drop + [role=status]")
    status.get_by_text(re.compile("Uploaded and indexed|completed")).wait_for(timeout=120_000)
    [doc_id] = _documents(served, "dropped")
    counts = page.locator("tr", has=page.get_by_role("button", name="dropped")).locator("td.num")
    page.wait_for_function(  # the collection's counts follow the upload
        COLLECTION_HAS % 1
    )
    assert counts.first.inner_text() == "1"
    page.get_by_role("button", name=doc_id, exact=True).click()
    # The document's figures and its chunks, in order.
    document = served.api.get(
        f"/collections/dropped/documents/{doc_id}", params={"include_chunks": "true"}
    ).json()
    shown = page.locator(".doc")
    shown.locator(".chunks li").first.wait_for()
    assert shown.locator(".chunks li").all_inner_texts() == [c["text"] for c in document["chunks"]]
    assert "ferry to Tallinn" in shown.locator(".chunks li").first.inner_text()
    assert shown.locator("dd").first.inner_text() == str(document["chunk_count"])
    shoot(page, shots, "upload-desktop")

    delete = page.get_by_role("button", name=f"Delete {doc_id}")
    delete.click()
    confirm = page.get_by_role("dialog", name="Are you sure?")
    confirm.get_by_role("button", name="Cancel").click()
    assert _documents(served, "dropped") == [doc_id]
    delete.click()
    confirm.get_by_role("button", name="Delete").click()
    page.get_by_text(f"Deleted {doc_id}").wait_for()
    assert _documents(served, "dropped") == []
    page.get_by_text("No documents.").wait_for()
    page.wait_for_function(COLLECTION_HAS % 0)
    assert log.problems == []


def test_two_versions_of_a_session_are_compared(
    console: Console, served: Served, shots: Path
) -> None:
    served.api.post("/state/diffed", json={"state_data": {"step": 1, "plan": "a", "old": 1}})
    served.api.post("/state/diffed", json={"state_data": {"step": 2, "plan": "a", "new": [1]}})
    page, log = console(DESKTOP)
    page.get_by_label("Session id prefix").fill("diffed")
    page.get_by_role("button", name="diffed").click()
    history = page.get_by_role("region", name="History")
    history.get_by_label("From").select_option("1")
    history.get_by_label("To").select_option("2")
    history.get_by_role("button", name="Compare").click()
    changes = history.locator(".diff li")
    changes.first.wait_for()
    # Leaf by leaf, unchanged ones ("plan") left out.
    assert changes.all_inner_texts() == ["$.new[0] 1", "$.old 1", "$.step 1 → 2"]
    assert [item.get_attribute("class") for item in changes.all()] == [
        "diff-added",
        "diff-removed",
        "diff-changed",
    ]
    shoot(page, shots, "history-diff-desktop")
    assert log.problems == []
