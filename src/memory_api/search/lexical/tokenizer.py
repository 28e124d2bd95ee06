"""Text to index terms, the same for documents and queries.

Measured on the LoCoMo development split (bench.retrieval_quality) and built for the text an
agent's memory holds: chat logs, notes, code.

* Unicode: NFKC, case folded; accents are dropped when what is left is ASCII ("Zoë" = "zoe"),
  other scripts keep theirs. Han, kana and Hangul characters are one term each (those scripts
  do not separate words by spaces).
* Words are runs of letters and digits joined by ``_ . - ' \u2019`` (``snake_case``,
  ``dotted.names``, ``2023-05-07``, ``Caroline's``). A joined run is a term as a whole (not
  stemmed) and so is each of its parts; a ``CamelCase`` part is split too ("HTTPServer" gives
  "httpserver", "http", "server"), so an identifier is found by its parts and whole.
* Numbers are terms, without leading zeros ("05" = "5"). A date written "7 May 2023",
  "May 7, 2023" or "2023-05-07" also gives the term "2023-05-07", so each form finds the others.
* English stopwords (Snowball's list) are dropped, other words are stemmed with Snowball's
  English stemmer (PyStemmer): "went" stays, "going" = "go".
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections import Counter
from functools import lru_cache

import Stemmer

from memory_api.search.lexical.stopwords import STOPWORDS

_WORD = re.compile(r"[^\W_]+(?:(?:[_.\-'\u2019]+)[^\W_]+)*|_+[^\W_]+(?:_+[^\W_]+)*")
_JOINERS = re.compile(r"[_.\-'\u2019]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_a-zA-Z]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
         ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
         ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
         ("december", "dec")],
        1,
    )
    for name in names
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\.?,?\s+(\d{{4}})\b", re.IGNORECASE
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE
)
_ISO_DATE = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
MAX_TERM = 64  # characters; longer runs (hashes, base64) are cut, so the column stays bounded


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _fold(word: str) -> str:
    """Without its accents when that leaves ASCII ("Zoë": "Zoe"), else as it is."""
    stripped = "".join(
        char for char in unicodedata.normalize("NFKD", word) if not unicodedata.combining(char)
    )
    return stripped if stripped.isascii() else word


def _number(token: str) -> str:
    return token.lstrip("0") or "0" if token.isdigit() else token


def _date(year: str, month: int, day: str) -> str | None:
    try:
        return datetime.date(int(year), month, int(day)).isoformat()
    except ValueError:  # "31 February": not a date
        return None


def dates(text: str) -> list[str]:
    """Every date of ``text`` in the three written forms, as ``YYYY-MM-DD`` terms."""
    found = [
        _date(match[3], _MONTHS[match[2].lower()], match[1])
        for match in _DAY_MONTH_YEAR.finditer(text)
    ]
    found += [
        _date(match[3], _MONTHS[match[1].lower()], match[2])
        for match in _MONTH_DAY_YEAR.finditer(text)
    ]
    for match in _ISO_DATE.finditer(text):
        date = _date(match[1], int(match[2]), match[3])
        if date != match.group():  # "2023-05-07" is that term already, as a word
            found.append(date)
    return [date for date in found if date is not None]


def _split_case(piece: str) -> list[str]:
    """ "HTTPServer": ["HTTP", "Server"]; only ASCII words have cases to split at."""
    return (_CAMEL.findall(piece) or [piece]) if piece.isascii() else [piece]


def _word_terms(word: str) -> list[str]:
    lower = word.casefold()
    if lower in STOPWORDS or lower.replace("\u2019", "'") in STOPWORDS:
        return []
    if "'" in word or "\u2019" in word:  # "Caroline's": the name; "rock'n'roll": its words
        words = [part for part in re.split(r"['\u2019]+", word) if len(part) > 1 or part.isdigit()]
        return [term for part in words for term in _word_terms(part)]
    pieces = [piece for piece in _JOINERS.split(word) if piece]
    splits = [_split_case(piece) for piece in pieces]
    terms: list[str] = []
    if len(pieces) > 1 or len(splits[0]) > 1:  # an identifier: found whole, too
        terms.append(lower.strip("_"))
    stem = _stemmer().stemWord
    for piece, split in zip(pieces, splits, strict=True):
        if len(pieces) > 1 and len(split) > 1:
            terms.append(piece.casefold())
        for part in (item.casefold() for item in split):
            if part not in STOPWORDS:
                terms.append(_number(part) if part.isdigit() else stem(part))
    return terms


def tokenize(text: str) -> list[str]:
    """The terms of ``text``, in order, repeated as often as they occur."""
    text = unicodedata.normalize("NFKC", text)
    terms: list[str] = dates(text)
    for match in _WORD.finditer(text):
        word = _fold(match.group())
        if _CJK.search(word):
            terms.extend(char.lower() for char in word if not char.isspace())
            continue
        terms.extend(_word_terms(word))
    return [term[:MAX_TERM] for term in terms if term]


def term_counts(text: str) -> Counter[str]:
    """How often each term occurs in ``text`` (a posting's ``tf``)."""
    return Counter(tokenize(text))


def query_terms(text: str) -> list[str]:
    """The distinct terms of a query, in order of appearance."""
    return list(dict.fromkeys(tokenize(text)))
