"""Recursive character splitting with language-aware separators (langchain-text-splitters)."""

from __future__ import annotations

from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

_LANGUAGES = {".py": Language.PYTHON, ".md": Language.MARKDOWN, ".markdown": Language.MARKDOWN}


class Splitter:
    def __init__(self, chunk_size: int = 1000, chunk_overlap: int = 200) -> None:
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self._default = RecursiveCharacterTextSplitter(
            chunk_size=chunk_size, chunk_overlap=chunk_overlap
        )
        self._by_language: dict[Language, RecursiveCharacterTextSplitter] = {}

    def _for(self, extension: str) -> RecursiveCharacterTextSplitter:
        language = _LANGUAGES.get(extension.lower())
        if language is None:
            return self._default
        if language not in self._by_language:
            self._by_language[language] = RecursiveCharacterTextSplitter.from_language(
                language, chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap
            )
        return self._by_language[language]

    def split(self, text: str, extension: str) -> list[str]:
        return [chunk for chunk in self._for(extension).split_text(text) if chunk.strip()]
