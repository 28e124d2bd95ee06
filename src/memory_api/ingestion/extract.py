"""The text of an uploaded file: plain text, Markdown and code as UTF-8, PDF with pypdf, HTML
with Beautiful Soup. The type is the file name's extension; a file without one is taken by its
declared content type. Anything else is refused (415) naming its type."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from memory_api.errors import InvalidInput, UnsupportedMediaType

TEXT_EXTENSIONS = frozenset(
    {
        ".txt", ".md", ".markdown", ".rst", ".csv", ".json", ".yaml", ".yml", ".toml", ".ini",
        ".cfg", ".log", ".xml", ".sql", ".sh", ".py", ".js", ".ts", ".tsx", ".jsx", ".go",
        ".rs", ".java", ".kt", ".rb", ".php", ".c", ".h", ".cpp", ".hpp", ".cs", ".swift",
        ".scala", ".css",
    }
)  # fmt: skip
PDF_EXTENSIONS = frozenset({".pdf"})
HTML_EXTENSIONS = frozenset({".html", ".htm", ".xhtml"})
SUPPORTED = "text, Markdown and code files (" + " ".join(sorted(TEXT_EXTENSIONS)) + "), PDF, HTML"
_BY_CONTENT_TYPE = {"application/pdf": ".pdf", "text/html": ".html", "text/markdown": ".md"}
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


@dataclass(frozen=True)
class Extracted:
    text: str
    extension: str  # what the splitter and the document's ``extension`` see


def file_type(filename: str, content_type: str | None) -> str:
    """The extension that decides how the file is read; 415 for an unsupported one."""
    extension = PurePosixPath(filename).suffix.lower()
    declared = (content_type or "").partition(";")[0].strip().lower()
    if not extension:
        extension = _BY_CONTENT_TYPE.get(declared, ".txt" if declared == "text/plain" else "")
    if extension in TEXT_EXTENSIONS | PDF_EXTENSIONS | HTML_EXTENSIONS:
        return extension
    kind = extension or declared or "without an extension or content type"
    raise UnsupportedMediaType(
        f"{filename!r}: unsupported file type {kind}; supported: {SUPPORTED}"
    )


def extract(filename: str, content_type: str | None, data: bytes) -> Extracted:
    """Blocking (PDF parsing is CPU work): call from a worker thread."""
    extension = file_type(filename, content_type)
    if extension in PDF_EXTENSIONS:
        return Extracted(_pdf_text(filename, data), extension)
    if extension in HTML_EXTENSIONS:
        return Extracted(_html_text(data), extension)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"{filename!r} is not UTF-8 text (byte {error.start}); send text files as UTF-8"
        ) from None
    return Extracted(text, extension)


def _pdf_text(filename: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InvalidInput(f"{filename!r} is an encrypted PDF: its text cannot be read")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        raise InvalidInput(f"{filename!r} is not a readable PDF ({error})") from None
    return "\n\n".join(page.strip() for page in pages if page.strip())


def _html_text(data: bytes) -> str:
    """The visible text: scripts, styles and templates are not part of the document."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for hidden in soup(["script", "style", "noscript", "template", "head"]):
        hidden.decompose()
    text = soup.get_text("\n")
    lines = "\n".join(line.strip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", lines).strip()
