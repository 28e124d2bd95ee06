"""all-MiniLM-L6-v2 as ONNX, on onnxruntime + tokenizers.

Unlike Chroma's runner, which pads every input to 256 tokens, batches are padded to their
longest member (dynamic padding) and bulk input is sorted by length first, so short texts and
queries cost what they need. Queries and bulk work (indexing) run on separate threads and
separate inference sessions, so a query never waits behind an indexing batch. Both use every
core; the indexing threads run at a low CPU priority (nice 10), so indexing takes all the
CPU while the API is idle and the kernel hands it to the API's threads the moment a request
comes in (bench.responsiveness; MEMORY_API_EMBEDDING_INDEXING_THREADS).

``precision="int8"`` runs the int8 build of the same model (embeddings/quantize.py), about
twice as fast; it is another model name for the collection-mismatch rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np

from memory_api.embeddings.base import Embedder, EmbedProgress, normalise
from memory_api.embeddings.quantize import INT8_SUFFIX, ensure_int8_model

logger = logging.getLogger("memory_api.embeddings")

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
REQUIRED_FILES = ("model.onnx", "tokenizer.json")
# When progress is reported, each inference run is sized to take about this long, so a job's
# progress moves about twice a second even on a loaded machine (a run of 32 long chunks took
# 6 s on 2 busy cores). On CPU, runs of 4 or more texts cost about the same per text.
PROGRESS_RUN_SECONDS = 0.5
FIRST_PROGRESS_RUN = 4
#: nice value of the indexing threads: an API thread (nice 0) weighs ~10x more and preempts
#: them; not 19, which on a machine shared with other busy processes starves indexing
BACKGROUND_NICE = 10
Precision = Literal["fp32", "int8"]
_loaded: dict[tuple[Path, Path, int | None], tuple[Any, Any]] = {}
_load_lock = threading.Lock()


def chroma_cache_dir() -> Path:
    """Where Chroma's own default embedding function keeps this model."""
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    return Path(ONNXMiniLM_L6_V2.DOWNLOAD_PATH) / ONNXMiniLM_L6_V2.EXTRACTED_FOLDER_NAME


def download_with_chroma() -> Path:
    """Download + verify (sha256) the model exactly as Chroma does, into Chroma's cache."""
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    ONNXMiniLM_L6_V2()._download_model_if_not_exists()
    return chroma_cache_dir()


def find_model_files(directory: Path) -> tuple[Path, Path] | None:
    """``model.onnx`` and ``tokenizer.json`` in ``directory``, or in its ``onnx/`` subfolder:
    either the folder holding the files (Chroma's cache) or the model's folder above it is
    accepted. A tokenizer beside ``onnx/`` (Hugging Face's layout) is found too."""
    for folder in (directory, directory / "onnx"):
        model = folder / "model.onnx"
        if model.is_file():
            for place in (folder, directory):
                if (place / "tokenizer.json").is_file():
                    return model, place / "tokenizer.json"
    return None


def _load(model: Path, tokenizer_file: Path, threads: int | None) -> tuple[Any, Any]:
    """Tokenizer and session for ``model``, loaded once per process."""
    import onnxruntime
    from tokenizers import Tokenizer

    key = (model.resolve(), tokenizer_file.resolve(), threads)
    with _load_lock:
        if key not in _loaded:
            tokenizer = Tokenizer.from_file(str(tokenizer_file))
            tokenizer.no_padding()  # the file ships with fixed padding to 128
            tokenizer.enable_truncation(MAX_TOKENS)
            options = onnxruntime.SessionOptions()
            if threads:
                options.intra_op_num_threads = threads
            # Without the memory pattern, onnxruntime does not keep a planned buffer per input
            # shape; with dynamic padding every batch width is a new shape (bench.memory).
            options.enable_mem_pattern = False
            session = onnxruntime.InferenceSession(
                str(model), options, providers=["CPUExecutionProvider"]
            )
            _loaded[key] = (tokenizer, session)
            _return_free_heap()
        return _loaded[key]


def _return_free_heap() -> None:
    """Hand the heap freed by a session's load (the parsed model file) back to the system:
    glibc keeps it otherwise, about 20 MiB per session (bench.memory)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def default_indexing_threads() -> int:
    """Every core this process may use (the threads run at low priority)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(cores or 1, 1)


def lower_thread_priority(nice: int = BACKGROUND_NICE) -> None:
    """Give the calling thread, and the threads it starts from now on, a low CPU priority.

    On Linux the nice value is per thread and inherited by the threads it creates, so an
    inference session created on this thread gets a pool of low-priority threads too.
    """
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError):  # not Linux: the threads keep the normal priority
        logger.debug("cannot lower the indexing threads' priority on this system")


def model_name(precision: Precision) -> str:
    """The name a collection records: the int8 build is another model for the mismatch rule."""
    return MODEL_NAME + (INT8_SUFFIX if precision == "int8" else "")


class LocalEmbedder(Embedder):
    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        batch_size: int = 8,
        indexing_threads: int | None = None,
        precision: Precision = "fp32",
        cache_dir: Path | None = None,
        indexing_nice: int = BACKGROUND_NICE,
    ) -> None:
        """``indexing_threads``: onnxruntime threads of the low-priority session that embeds
        documents; 0 shares the query session (normal priority), None: every core.
        ``cache_dir``: where the int8 build is kept (else beside the fp32 file, if writable).
        ``indexing_nice``: the indexing threads' nice value (0: normal priority)."""
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.precision: Precision = precision
        self.cache_dir = cache_dir
        self.name = model_name(precision)
        self.indexing_threads = (
            default_indexing_threads() if indexing_threads is None else indexing_threads
        )
        self.error = "embedding model not loaded yet"
        #: the files in use, known once ``start()`` succeeded
        self.model_file: Path | None = None
        self.tokenizer_file: Path | None = None
        self._tokenizer: Any = None
        self._session: Any = None
        self._bulk_session: Any = None
        self._inputs: set[str] = set()
        self._bulk = ThreadPoolExecutor(
            1,
            thread_name_prefix="embed-bulk",
            initializer=(
                functools.partial(lower_thread_priority, indexing_nice)
                if self.indexing_threads and indexing_nice
                else None
            ),
        )
        self._query = ThreadPoolExecutor(1, thread_name_prefix="embed-query")

    async def start(self) -> None:
        try:
            await asyncio.to_thread(self._start)
        except Exception as error:
            self.error = str(error)
            logger.error("embedding model unavailable: %s", self.error)

    def _start(self) -> None:
        if self.model_dir is not None:
            directory = self.model_dir.expanduser()
            source = "MEMORY_API_EMBEDDING_MODEL_DIR"
        else:
            source = "Chroma's model cache"
            try:
                directory = download_with_chroma()
            except Exception as error:
                raise RuntimeError(
                    f"cannot download {MODEL_NAME} into {chroma_cache_dir()} ({error}); "
                    "set MEMORY_API_EMBEDDING_MODEL_DIR to a folder holding model.onnx and "
                    "tokenizer.json"
                ) from error
        found = find_model_files(directory)
        if found is None:
            raise RuntimeError(
                f"embedding model not found: neither {directory} (from {source}) nor its onnx/ "
                f"subfolder holds {' and '.join(REQUIRED_FILES)}; set "
                f"MEMORY_API_EMBEDDING_MODEL_DIR to the folder of {MODEL_NAME} or its onnx/ "
                "subfolder"
            )
        model, tokenizer_file = found
        if self.precision == "int8":
            places = [self.cache_dir] if self.cache_dir is not None else []
            model = ensure_int8_model(model, [*places, model.parent])
        self.model_file, self.tokenizer_file = model, tokenizer_file
        self._tokenizer, self._session = _load(model, tokenizer_file, None)
        # The indexing session is loaded by the first bulk work (bulk_session): an instance that
        # only serves queries never pays its memory (bench.memory).
        self._bulk_session = None if self.indexing_threads else self._session
        self._inputs = {item.name for item in self._session.get_inputs()}
        self.dimension = int(self._session.get_outputs()[0].shape[-1])
        self.error = None
        logger.info("embedding model %s loaded from %s", self.name, model)

    async def embed_documents(
        self, texts: Sequence[str], on_progress: EmbedProgress | None = None
    ) -> np.ndarray:
        self._require_ready()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._bulk, self._encode_bulk, list(texts), on_progress)

    def bulk_session(self) -> Any:
        """The indexing session; loaded on the (low-priority) bulk thread the first time, so
        its thread pool inherits the priority. Only called on that thread."""
        if self._bulk_session is None:
            assert self.model_file is not None and self.tokenizer_file is not None
            loaded = _load(self.model_file, self.tokenizer_file, self.indexing_threads)
            self._bulk_session = loaded[1]
        return self._bulk_session

    def _encode_bulk(self, texts: list[str], on_progress: EmbedProgress | None) -> np.ndarray:
        return self._encode(texts, self.bulk_session(), on_progress)

    async def embed_query(self, text: str) -> np.ndarray:
        self._require_ready()
        loop = asyncio.get_running_loop()
        vectors = await loop.run_in_executor(self._query, self._encode, [text], self._session)
        result: np.ndarray = vectors[0]
        return result

    def _encode(
        self, texts: list[str], session: Any, on_progress: EmbedProgress | None = None
    ) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        output = np.empty((len(texts), self.dimension), dtype=np.float32)
        size = self.batch_size if on_progress is None else min(self.batch_size, FIRST_PROGRESS_RUN)
        start = 0
        while start < len(order):
            members = order[start : start + size]
            began = time.perf_counter()
            output[members] = self._run([encodings[i] for i in members], session)
            start += len(members)
            if on_progress is not None:
                on_progress(len(members))
                per_text = (time.perf_counter() - began) / len(members)
                size = max(1, min(self.batch_size, int(PROGRESS_RUN_SECONDS / max(per_text, 1e-6))))
        return output

    def _run(self, batch: list[Any], session: Any) -> np.ndarray:
        if self.precision == "int8" and len(batch) > 1:
            # Dynamic quantization scales activations per tensor: over a batch, a text's vector
            # would depend on its neighbours and their padding (cosine ~0.99 to itself alone).
            # One text per run keeps each vector a function of its text, at about the same cost
            # per text (bench.int8 --batch-size 1).
            return np.vstack([self._run([encoding], session) for encoding in batch])
        width = max(len(e.ids) for e in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, encoding in enumerate(batch):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return normalise(pooled)

    async def aclose(self) -> None:
        self._bulk.shutdown(wait=False, cancel_futures=True)
        self._query.shutdown(wait=False, cancel_futures=True)
