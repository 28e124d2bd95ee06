"""The lexical tokenizer: what each kind of text becomes as index terms (exact lists)."""

from __future__ import annotations

import pytest

from memory_api.search.lexical.tokenizer import dates, query_terms, term_counts, tokenize


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        # identifiers: whole (not stemmed) and by their parts
        ("ERR_7731_QX failed", ["err_7731_qx", "err", "7731", "qx", "fail"]),
        ("os.path.join", ["os.path.join", "os", "path", "join"]),
        ("HTTPServer", ["httpserver", "http", "server"]),
        ("parse_HTTPHeaders", ["parse_httpheaders", "pars", "httpheaders", "http", "header"]),
        ("__init__", ["init"]),
        # stopwords dropped, words stemmed, possessives and contractions
        ("When did Caroline go to the support group?", ["carolin", "go", "support", "group"]),
        ("I don't think Caroline's running", ["think", "carolin", "run"]),
        # numbers without leading zeros; dates in every written form give one more term
        ("version 05 and 3.14", ["version", "5", "3.14", "3", "14"]),
        ("7 May 2023", ["2023-05-07", "7", "may", "2023"]),
        ("May 7th, 2023", ["2023-05-07", "may", "7th", "7", "th", "2023"]),
        ("2023-05-07", ["2023-05-07", "2023", "5", "7"]),
        ("2023/5/7", ["2023-05-07", "2023", "5", "7"]),
        # Unicode: case, accents folded where that leaves ASCII, other scripts as they are
        ("Zoë CAFÉ", ["zoe", "cafe"]),
        ("Привет, мир", ["привет", "мир"]),
        ("東京タワー", ["東", "京", "タ", "ワ", "ー"]),
        ("the and of", []),
    ],
)
def test_terms(text: str, terms: list[str]) -> None:
    assert tokenize(text) == terms


def test_a_query_finds_each_date_form_of_the_others() -> None:
    forms = ["7 May 2023", "May 7, 2023", "2023-05-07", "7th of May 2023", "2023-5-7"]
    assert [dates(form) if form[0] != "2" else [] for form in forms[:2]] == [["2023-05-07"]] * 2
    assert all("2023-05-07" in tokenize(form) for form in forms)
    assert dates("31 February 2023 and 40 May 2023") == []  # not dates


def test_counts_and_query_terms() -> None:
    assert term_counts("cats and more cats; a cat") == {"cat": 3}
    assert query_terms("Cats? cats! CAT") == ["cat"]
