"""The int8 build of the shipped fp32 model, made by the service itself and cached.

Nothing new is downloaded: onnxruntime's dynamic quantization rewrites the weights of the MatMul
nodes of ``model.onnx`` to int8 (per output channel, full int8 range); activations are quantized
at run time. On the benchmark texts its vectors keep a cosine >= 0.98 to fp32 and it embeds about
twice as fast on a CPU (BENCHMARKS.md). The build runs in a subprocess: it needs ~420 MiB at peak,
which a long-running server would otherwise keep (freed heap is rarely returned to the system).
The output depends only on the input file and the onnxruntime/onnx versions, so the cache file is
named after both and a second build (another process racing this one) writes the same bytes.

    python -m memory_api.embeddings.quantize SOURCE.onnx TARGET.onnx
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

INT8_SUFFIX = "-int8"
BUILD_TIMEOUT_SECONDS = 900


def _fingerprint(source: Path) -> str:
    """The source file's sha256 (first 16 hex digits) and the tools' versions."""
    digest = hashlib.sha256()
    with source.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    versions = "-".join(
        f"{name}{metadata.version(name)}" for name in ("onnxruntime", "onnx")
    ).replace("+", "_")
    return f"{digest.hexdigest()[:16]}-{versions}"


def cached_int8_path(source: Path, cache_dir: Path) -> Path:
    """Where the int8 build of ``source`` lives in ``cache_dir`` (built or not)."""
    return cache_dir / f"model-int8-{_fingerprint(source)}.onnx"


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(directory, os.W_OK)


def ensure_int8_model(source: Path, cache_dirs: list[Path]) -> Path:
    """The int8 build of ``source``: found in the first of ``cache_dirs`` that holds it, or
    built into the first writable one. Raises RuntimeError with the reason when it cannot."""
    for directory in cache_dirs:
        found = cached_int8_path(source, directory)
        if found.is_file():
            return found
    target_dir = next((d for d in cache_dirs if _writable(d)), None)
    if target_dir is None:
        raise RuntimeError(
            "cannot build the int8 embedding model: none of "
            f"{', '.join(str(d) for d in cache_dirs)} is writable; make one writable or set "
            "MEMORY_API_EMBEDDING_PRECISION=fp32"
        )
    target = cached_int8_path(source, target_dir)
    # A unique temporary name in the same folder, renamed when complete: a reader never sees
    # half a file, and two processes building at once each rename a complete, identical file.
    handle, partial_name = tempfile.mkstemp(prefix=".model-int8-", suffix=".part", dir=target_dir)
    os.close(handle)
    partial = Path(partial_name)
    try:
        built = subprocess.run(
            [sys.executable, "-m", __name__, str(source), str(partial)],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )
        if built.returncode != 0:
            tail = (built.stderr or built.stdout).strip().splitlines()[-3:]
            raise RuntimeError(
                f"building the int8 embedding model from {source} failed: {' '.join(tail)}; "
                "set MEMORY_API_EMBEDDING_PRECISION=fp32 to use the fp32 model"
            )
        partial.chmod(0o644)  # mkstemp makes it private; the cache is shared like the model
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of the MatMul weights of ``source`` into ``target``.

    onnxruntime writes a shape-inferred copy beside its input (``model-inferred.onnx``) and
    deletes it after loading: beside the shipped model, two processes building at once delete
    each other's copy (and a read-only model folder fails the build). It is given a link to
    the model in a private folder instead."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="memory-api-quantize-") as private:
        link = Path(private) / source.name
        link.symlink_to(source.resolve())
        _quantize(quantize_dynamic, QuantType.QInt8, link, target)


def _quantize(quantize_dynamic: Any, weight_type: Any, source: Path, target: Path) -> None:
    quantize_dynamic(
        source,
        target,
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        reduce_range=False,
        weight_type=weight_type,
    )


if __name__ == "__main__":
    quantize(Path(sys.argv[1]), Path(sys.argv[2]))
