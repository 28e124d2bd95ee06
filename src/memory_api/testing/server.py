"""Run ``memory-api serve`` as a subprocess, for end-to-end, crash and restart tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_path() -> str:
    """The ``memory-api`` script installed beside the running interpreter."""
    return shutil.which("memory-api", path=str(Path(sys.executable).parent)) or "memory-api"


class ServerProcess:
    """``memory-api serve`` on a free port, its output in ``log_path``.

    ``kill()`` sends SIGKILL (a crash); ``start()`` again restarts on the same port.
    """

    def __init__(
        self, env: dict[str, str], log_path: Path, *args: str, port: int | None = None
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.args = args
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
        """This environment without any memory-api setting, a fresh data dir, and ``extra``.

        The offline model directory is kept: tests run where the model cannot be downloaded;
        and so are the cache of the model's int8 build (built once for many servers) and the
        indexing threads' priority (tests/conftest.py).
        """
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("MEMORY_API_", "POSTGRES_"))
        }
        env["MEMORY_API_DATA_DIR"] = str(tmp_path / "data")
        model_dir = os.environ.get("MEMORY_API_EMBEDDING_MODEL_DIR")
        if model_dir:
            env["MEMORY_API_EMBEDDING_MODEL_DIR"] = model_dir
        for kept in ("MEMORY_API_EMBEDDING_CACHE_DIR", "MEMORY_API_EMBEDDING_INDEXING_NICE"):
            if os.environ.get(kept):
                env[kept] = os.environ[kept]
        env.update(extra)
        return env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/sessions?limit=1", timeout: float = 120) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [cli_path(), "serve", "--port", str(self.port), *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(self.url + ready_path, timeout=5)
                return
            except httpx.TransportError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited:\n{self.log_path.read_text()}") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"server not ready:\n{self.log_path.read_text()}") from None
                time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hook runs."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
