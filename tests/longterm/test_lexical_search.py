"""Lexical, semantic and hybrid search through the HTTP API, both backend pairs, real model:
what each mode finds, how filters apply, the scores it explains, and a lexical index that stays
exactly the recount of the chunk rows through edits, deletions and forced re-indexing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from memory_api.search.lexical.scoring import BM25
from memory_api.search.lexical.tokenizer import query_terms, term_counts
from memory_api.testing.lexical import collection_chunks, recount, stored

# The identifier in passing, in a text about something else; error texts with codes that
# share its pieces: the dense model sees error codes alike, BM25 sees the one term.
INCIDENT = (
    "Minutes of the garden club: we planted tulips, emptied the compost bin and Mary "
    "filed ticket ERR_7731_QX for the broken gate.\n"
)
CODES = [
    f"The nightly {job} job failed with error code {code}; it was retried.\n"
    for job, code in [
        ("backup", "ERR_7713_QX"), ("import", "ERR_7731_XQ"), ("cleanup", "ERR_1377_QX"),
        ("report", "ERR_7731_QY"), ("sync", "ERR_7371_QX"),
    ]
]  # fmt: skip
CATS = "Domestic cats purr when content and sleep most of the day.\n"
BONDS = "When central banks raise interest rates, existing bond prices fall.\n"
BREAD = "To bake sourdough bread, feed the starter and let the dough ferment overnight.\n"


def write_corpus(docs: Path) -> None:
    (docs / "incident.md").write_text(INCIDENT)
    for i, text in enumerate(CODES):
        (docs / f"code{i}.md").write_text(text)
    (docs / "cats.md").write_text(CATS)
    (docs / "bonds.txt").write_text(BONDS)
    (docs / "bread.txt").write_text(BREAD)


def remove_all(docs: Path) -> None:
    for path in docs.iterdir():
        path.unlink()


async def search(client: httpx.AsyncClient, text: str, **extra: Any) -> list[dict[str, Any]]:
    response = await client.post("/rag_query", json={"query": text, **extra})
    assert response.status_code == 200, response.text
    assert response.json()["mode"] == extra.get("mode", "hybrid")
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def names(results: list[dict[str, Any]]) -> list[str]:
    return [Path(result["metadata"]["source"]).name for result in results]


async def test_each_mode_finds_what_it_should(
    lt_client: httpx.AsyncClient, docs: Path, index: Any
) -> None:
    write_corpus(docs)
    assert (await index())["status"] == "completed"

    # A rare identifier: the dense model cannot tell error codes apart, BM25 can.
    lexical = await search(lt_client, "ERR_7731_QX", mode="lexical", top_k=20)
    assert names(lexical)[0] == "incident.md"
    assert sorted(names(lexical)[1:]) == [f"code{i}.md" for i in range(5)]
    assert lexical[0]["matched_terms"] == ["err_7731_qx", "err", "7731", "qx"]
    assert [len(result["matched_terms"]) for result in lexical[1:]] == [2] * 5
    assert lexical[0]["scores"]["lexical_rank"] == 1
    assert lexical[0]["scores"]["semantic"] is None
    semantic = await search(lt_client, "ERR_7731_QX", mode="semantic", top_k=1)
    assert names(semantic) != ["incident.md"]

    # A paraphrase with no word of the text: only the embeddings find it.
    paraphrase = "feline companions napping"
    assert await search(lt_client, paraphrase, mode="lexical") == []
    assert names(await search(lt_client, paraphrase, mode="semantic", top_k=1)) == ["cats.md"]

    # Hybrid: both, from one query.
    both = await search(lt_client, f"ERR_7731_QX {paraphrase}", top_k=2)
    assert sorted(names(both)) == ["cats.md", "incident.md"]
    by_name = {Path(r["metadata"]["source"]).name: r for r in both}
    assert by_name["incident.md"]["scores"]["lexical_rank"] == 1
    assert by_name["cats.md"]["scores"]["lexical"] is None
    assert by_name["cats.md"]["scores"]["semantic_rank"] == 1
    fused = [result["scores"]["fused"] for result in both]
    assert fused == sorted(fused, reverse=True)
    assert [r["similarity_score"] for r in both] == fused


@pytest.mark.parametrize("mode", ["lexical", "semantic", "hybrid"])
async def test_filters_apply_the_same_in_every_mode(
    lt_client: httpx.AsyncClient, docs: Path, index: Any, mode: str
) -> None:
    write_corpus(docs)
    assert (await index())["status"] == "completed"
    text = "error code bond prices sourdough bread"
    everything = await search(lt_client, text, mode=mode, top_k=20)
    only_txt = await search(
        lt_client, text, mode=mode, top_k=20, filter_metadata={"extension": ".txt"}
    )
    # The filter keeps the matching results of the unfiltered list, in its order.
    expected = [r for r in everything if r["metadata"]["extension"] == ".txt"]
    assert names(only_txt) == names(expected)
    assert {r["metadata"]["extension"] for r in only_txt} == {".txt"}
    if mode != "semantic":  # bonds.txt and bread.txt each hold query terms
        assert sorted(names(only_txt)) == ["bonds.txt", "bread.txt"]
    none = await search(lt_client, text, mode=mode, filter_metadata={"extension": ".rst"})
    assert none == []


# every term's postings held in memory (none are common in so small a corpus): the same
# figures as the SQL sum, and no stale list after an edit
IN_MEMORY = pytest.mark.parametrize(
    "lt_overrides", [{}, {"lexical_memory_min_df": 0}], ids=["sql", "memory"]
)


@IN_MEMORY
async def test_lexical_scores_are_bm25_exactly(
    lt_client: httpx.AsyncClient, lt_app: FastAPI, docs: Path, index: Any, lt_overrides: Any
) -> None:
    write_corpus(docs)
    assert (await index())["status"] == "completed"
    _, chunks = await collection_chunks(lt_app.state.components)
    counts = [term_counts(chunk.index_text) for chunk in chunks]
    n, total = len(counts), sum(sum(c.values()) for c in counts)
    bm25 = BM25(k1=1.2, b=0.75)

    results = await search(lt_client, "nightly job error bread", mode="lexical", top_k=20)
    expected = {}
    for chunk, count in zip(chunks, counts, strict=True):
        held = [term for term in query_terms("nightly job error bread") if term in count]
        if held:
            length = sum(count.values())
            expected[chunk.index_text] = (
                sum(
                    bm25.score(count[t], length, n, total, sum(1 for c in counts if t in c))
                    for t in held
                ),
                held,
            )
    assert len(results) == len(expected) == 6  # five error codes and the bread
    for result in results:
        score, held = expected[result["content"]]
        assert result["scores"]["lexical"] == pytest.approx(score, rel=1e-9)
        assert result["matched_terms"] == held
    ranks = [result["scores"]["lexical_rank"] for result in results]
    assert ranks == list(range(1, 7))
    best = results[0]["scores"]["lexical"]
    assert [r["similarity_score"] for r in results] == [
        pytest.approx(r["scores"]["lexical"] / best, rel=1e-12) for r in results
    ]
    held_terms = sorted(result["matched_terms"] for result in results)
    assert held_terms == [["bread"]] + [["night", "job", "error"]] * 5


async def assert_index_exact(app: FastAPI) -> int:
    """The lexical tables equal a recount of the chunk rows' text; the number of chunks."""
    collection_id, chunks = await collection_chunks(app.state.components)
    assert await stored(app.state.components, collection_id) == recount(chunks)
    return len(chunks)


@IN_MEMORY
async def test_index_stays_exact_through_edits_deletions_and_force(
    lt_client: httpx.AsyncClient, lt_app: FastAPI, docs: Path, index: Any, lt_overrides: Any
) -> None:
    write_corpus(docs)
    assert (await index())["status"] == "completed"
    assert await assert_index_exact(lt_app) == 9
    assert names(await search(lt_client, "interest rates", mode="lexical")) == ["bonds.txt"]
    assert names(await search(lt_client, "ERR_7731_QX succeeds", mode="lexical"))[0] == (
        "incident.md"
    )  # held in memory, in the memory variant, and then edited

    (docs / "incident.md").write_text("The export job now succeeds; ERR_7731_QX is fixed.\n")
    (docs / "bonds.txt").unlink()
    (docs / "tea.txt").write_text("Green tea is steamed or pan-fired to stop oxidation.\n")
    (docs / "code0.md").write_text(CODES[1])  # now the same text as code1.md
    result = (await index())["result"]
    assert (result["indexed"], result["deleted"]) == (3, 1)
    assert await assert_index_exact(lt_app) == 9
    assert await search(lt_client, "interest rates", mode="lexical") == []
    assert names(await search(lt_client, "oxidation", mode="lexical")) == ["tea.txt"]
    fixed = await search(lt_client, "ERR_7731_QX succeeds", mode="lexical")
    assert names(fixed)[0] == "incident.md"
    assert fixed[0]["matched_terms"] == ["err_7731_qx", "err", "7731", "qx", "succeed"]
    assert "tulips" not in fixed[0]["content"]

    assert (await index(force_reindex=True))["result"]["indexed"] == 9
    assert await assert_index_exact(lt_app) == 9

    remove_all(docs)
    assert (await index())["result"]["deleted"] == 9
    assert await assert_index_exact(lt_app) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "keyword"},
        {"mode": None, "fusion": {"semantic_weight": 1.5}},
        {"fusion": {"semantic_weight": -0.1}},
        {"fusion": {"semantic_weight": "0.5"}},
        {"fusion": {"method": "max"}},
        {"fusion": {"rrf_k": 0}},
        {"fusion": {"weight": 0.5}},
    ],
)
async def test_bad_mode_or_fusion_is_a_422(
    lt_client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await lt_client.post("/rag_query", json={"query": "anything", **body})
    assert response.status_code == 422, response.text
    located = [tuple(error["loc"]) for error in response.json()["detail"]]
    assert located and all(loc[:2] in {("body", "mode"), ("body", "fusion")} for loc in located)
