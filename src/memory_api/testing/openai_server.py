"""A local OpenAI-compatible embeddings server, so tests run the real ``openai`` client code.

Vectors are deterministic (seeded by the text), so identical texts get identical vectors.
``fail_next`` makes the next requests answer with the given HTTP statuses (429, 500...).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from memory_api.testing.server import free_port


@dataclass
class FakeOpenAI:
    dimension: int = 64
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def vector(self, text: str) -> list[float]:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        values = np.random.default_rng(seed).standard_normal(self.dimension)
        return [float(v) for v in values / np.linalg.norm(values)]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/embeddings")
        async def embeddings(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(
                {
                    "inputs": len(body["input"]),
                    "model": body["model"],
                    "auth": request.headers.get("authorization"),
                }
            )
            if self.fail_next:
                status = self.fail_next.pop(0)
                return JSONResponse(
                    {"error": {"message": "injected failure", "type": "test"}},
                    status_code=status,
                    headers={"retry-after-ms": "10"},
                )
            data = [
                {"object": "embedding", "index": i, "embedding": self.vector(text)}
                for i, text in enumerate(body["input"])
            ]
            return JSONResponse(
                {
                    "object": "list",
                    "data": data,
                    "model": body["model"],
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                }
            )

        return app


@contextmanager
def run_fake_openai(dimension: int = 64) -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(dimension=dimension, port=free_port())
    config = uvicorn.Config(fake.app(), host="127.0.0.1", port=fake.port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake OpenAI server did not start")
        time.sleep(0.02)
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
