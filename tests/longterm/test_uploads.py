"""Uploads: text, Markdown, code, PDF and HTML files become documents whose text is searchable
when the 201 returns; unsupported types are 415, oversized uploads 413. Both backend pairs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

FILES = "/collections/notes/files"
DOCS = "/collections/notes/documents"
PDF_TEXT = "Glaciers carve valleys as they slowly flow downhill"


@pytest.fixture
def lt_overrides() -> dict[str, Any]:
    return {"max_upload_bytes": 200_000}


@pytest.fixture(autouse=True)
async def notes(lt_client: httpx.AsyncClient) -> None:
    assert (await lt_client.post("/collections", json={"name": "notes"})).status_code == 201


def pdf_with(text: str) -> bytes:
    """A one-page PDF whose page shows ``text`` (built by hand, byte offsets exact)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


HTML = (
    b"<html><head><title>T</title><style>p {color: red}</style></head><body>"
    b"<h1>Tea</h1><p>Green tea is steamed to stop oxidation.</p>"
    b"<script>var hidden = 'never indexed';</script></body></html>"
)


async def test_upload_every_supported_kind(lt_client: httpx.AsyncClient) -> None:
    files = [
        ("files", ("glaciers.pdf", pdf_with(PDF_TEXT), "application/pdf")),
        ("files", ("tea.html", HTML, "text/html")),
        ("files", ("notes/readme.md", b"# Readme\n\nHow to deploy the service.", "text/plain")),
        ("files", ("fib.py", b"def fib(n):\n    return n\n", "application/octet-stream")),
        ("files", ("plain", "Caf\u00e9 au lait.".encode(), "text/plain")),
    ]
    response = await lt_client.post(
        FILES, files=files, data={"metadata": '{"team": "ops"}', "prefix": "up:"}
    )
    assert response.status_code == 201, response.text
    written = response.json()["documents"]
    assert [(d["doc_id"], d["status"]) for d in written] == [
        ("up:glaciers.pdf", "created"),
        ("up:tea.html", "created"),
        ("up:readme.md", "created"),
        ("up:fib.py", "created"),
        ("up:plain", "created"),
    ]
    pdf = (await lt_client.get(f"{DOCS}/up:glaciers.pdf")).json()
    assert pdf["text"] == PDF_TEXT
    assert (pdf["source"], pdf["extension"]) == ("upload", ".pdf")
    assert pdf["metadata"] == {"team": "ops", "filename": "glaciers.pdf"}
    html = (await lt_client.get(f"{DOCS}/up:tea.html")).json()
    assert html["text"] == "Tea\nGreen tea is steamed to stop oxidation."
    assert (await lt_client.get(f"{DOCS}/up:plain")).json()["text"] == "Caf\u00e9 au lait."
    assert (await lt_client.get(f"{DOCS}/up:plain")).json()["extension"] == ".txt"

    query = {"query": "ice shaping mountain valleys", "collection": "notes", "mode": "semantic"}
    hits = (await lt_client.post("/rag_query", json={**query, "top_k": 1})).json()["results"]
    assert [(h["doc_id"], h["content"]) for h in hits] == [("up:glaciers.pdf", PDF_TEXT)]
    assert hits[0]["metadata"]["filename"] == "glaciers.pdf"

    again = await lt_client.post(FILES, files=files[:1], data={"prefix": "up:"})
    assert again.status_code == 201
    assert again.json()["documents"][0]["status"] == "replaced"  # metadata changed


@pytest.mark.parametrize(
    ("files", "data", "status", "detail"),
    [
        (
            [
                ("files", ("a.txt", b"ok", "text/plain")),
                ("files", ("logo.png", b"\x89PNG", "image/png")),
            ],
            {},
            415,
            "'logo.png': unsupported file type .png; supported: text, Markdown and code files",
        ),
        (
            [("files", ("blob", b"\x00\x01", "application/octet-stream"))],
            {},
            415,
            "'blob': unsupported file type application/octet-stream",
        ),
        ([("files", ("a.txt", b"\xff\xfe bad", "text/plain"))], {}, 422, "'a.txt' is not UTF-8"),
        ([("files", ("a.pdf", b"not a pdf", "application/pdf"))], {}, 422, "'a.pdf' is not a"),
        ([("files", ("a.txt", b"   ", "text/plain"))], {}, 422, "'a.txt': no text could"),
        ([("files", ("a b.txt", b"x", "text/plain"))], {}, 422, "doc_id 'a b.txt' is not valid"),
        (
            [("files", ("a.txt", b"x", "text/plain")), ("files", ("d/a.txt", b"y", "text/plain"))],
            {},
            422,
            "two files would be document 'a.txt'",
        ),
        ([("files", ("a.txt", b"x", "text/plain"))], {"metadata": "[1]"}, 422, "metadata must"),
        ([("files", ("a.txt", b"x", "text/plain"))], {"metadata": "{"}, 422, "metadata is not"),
        (
            [("files", ("a.txt", b"x", "text/plain"))],
            {"metadata": '{"filename": "f"}'},
            422,
            "metadata keys filename are reserved",
        ),
        ([("files", ("big.txt", b"x" * 200_001, "text/plain"))], {}, 413, "Request body too"),
    ],
)
async def test_refused_uploads_write_nothing(
    lt_client: httpx.AsyncClient, files: Any, data: Any, status: int, detail: str
) -> None:
    response = await lt_client.post(FILES, files=files, data=data)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(detail), response.json()
    assert (await lt_client.get(DOCS)).json()["documents"] == []


async def test_upload_statuses_without_files(lt_client: httpx.AsyncClient) -> None:
    file = [("files", ("a.txt", b"x", "text/plain"))]
    assert (await lt_client.post("/collections/nope/files", files=file)).status_code == 404
    no_files = await lt_client.post(FILES, files={"prefix": (None, "x")})  # multipart, no file
    assert no_files.status_code == 422
    assert no_files.json()["detail"][0]["loc"] == ["body", "files"]
    form = await lt_client.post(FILES, data={"prefix": "x"})  # urlencoded
    assert form.status_code == 415
    as_json = await lt_client.post(FILES, json={"files": []})
    assert as_json.status_code == 415
    # Under MAX_UPLOAD_BYTES but over MAX_BODY_BYTES elsewhere: uploads have their own limit.
    big = [("files", ("big.txt", b"word " * 30_000, "text/plain"))]
    assert (await lt_client.post(FILES, files=big)).status_code == 201
