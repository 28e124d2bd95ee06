"""API fuzzing: every operation of the OpenAPI document, bounded examples, against a real server.

No 5xx, and every response conforms to the documented schema, status codes and content types.
One test function per operation, so each has its own node id (``-k rag_query``, ``--lf``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response

from memory_api.app import create_app
from memory_api.settings import Settings
from memory_api.testing.server import ServerProcess

EXAMPLES = int(os.environ.get("MEMORY_API_FUZZ_EXAMPLES", "40"))


@pytest.fixture(scope="module")
def fuzz_server(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path
) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("fuzz")
    docs = root / "docs"
    docs.mkdir()
    (docs / "note.md").write_text("Fuzzing notes: the API must never answer 5xx.")
    env = ServerProcess.base_env(
        root,
        MEMORY_API_INDEX_ROOTS=str(docs),
        MEMORY_API_EMBEDDING_MODEL_DIR=str(model_dir),
        MEMORY_API_MAX_BODY_BYTES="65536",
    )
    server = ServerProcess(env, root / "server.log")
    server.start()
    yield server
    server.stop()


# The document comes from the app factory (nothing connects at import time); the cases are
# sent to a real server process built from the same code.
# Any body, valid or not, can exceed the server's MAX_BODY_BYTES (64 KiB here): 413 is the right
# answer then, before validation, so both "valid data is accepted" and "invalid data is
# rejected" count it as expected.
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                # 304 and 412: conditional requests (If-None-Match, If-Match) answered by the
                # session's current version, whatever the data
                "expected-statuses": [
                    "2xx",
                    "304",
                    "401",
                    "403",
                    "404",
                    "409",
                    "412",
                    "413",
                    "429",
                    "5xx",
                ]
            },
            "negative_data_rejection": {"expected-statuses": [*REJECTED, "413"]},
        }
    }
)
DOCUMENT = create_app(Settings(_env_file=None)).openapi()  # type: ignore[call-arg]
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


def _conformance_test(label: str) -> Callable[..., None]:
    """The test of one operation: every phase schemathesis runs (examples, coverage, fuzzing)."""

    @pytest.mark.slow
    @schema.include(name=label).parametrize()
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def test(case: schemathesis.Case, fuzz_server: ServerProcess) -> None:
        response = case.call(base_url=fuzz_server.url)
        # A filter's totals (conditions, values across its lists) are not expressible in JSON
        # Schema, which bounds each array only (the description states the totals): a
        # schema-valid filter over them is rightly a 422. Every other check still runs.
        # Likewise a keyset cursor (any string is schema-valid, only one the server made
        # decodes) and the JSON limits of any body (integers beyond 64 bits, nesting depth),
        # which a schema of "any object" (state_data, patches) cannot state.
        unexpressible = (
            _over_filter_totals(response)
            or _invalid_cursor(response)
            or _over_json_limits(response)
            or _beyond_the_schema(response)
        )
        excluded = [positive_data_acceptance] if unexpressible else []
        case.validate_response(response, excluded_checks=excluded)

    return test


_TOTALS = re.compile(r"^Value error, filter_metadata: \d+ (conditions|values), more than \d+ in")


def _over_json_limits(response: Response) -> bool:
    if response.status_code != 422:
        return False
    detail = json.loads(response.content)["detail"]
    limits = {"json_int_out_of_range", "json_too_deep"}
    return isinstance(detail, list) and any(e.get("type") in limits for e in detail)


def _invalid_cursor(response: Response) -> bool:
    if response.status_code != 422:
        return False
    detail = json.loads(response.content)["detail"]
    return isinstance(detail, str) and detail.startswith("Invalid cursor")


def _over_filter_totals(response: Response) -> bool:
    if response.status_code != 422:
        return False
    detail = json.loads(response.content)["detail"]
    return isinstance(detail, list) and any(_TOTALS.match(e.get("msg", "")) for e in detail)


# Other rules JSON Schema cannot state, each refused with its own sentence: a collection's
# overlap against its size, the doc_ids reserved for folders and the batch path, an opaque
# cursor, what is inside an uploaded file (its type, its text, its name as a doc_id) and its
# metadata field (JSON in a form field); and integers beyond 64 bits in any JSON body.
_BEYOND = re.compile(
    r"^(chunk_overlap \(\d+\) must be smaller than chunk_size|doc_ids starting with 'file:'"
    r"|'.*': (unsupported file type|no text could be extracted)|'.*' is not (UTF-8|a readable)"
    r"|doc_id '.*' is not valid|file name '.*' is empty|two files would be document"
    r"|cursor is not one this service returned|metadata (must be a JSON object|is not JSON)"
    r"|'.*' is an encrypted PDF|namespace: at most \d+ characters joined)",
    re.DOTALL,
)


def _beyond_the_schema(response: Response) -> bool:
    if response.status_code not in (415, 422):
        return False
    detail = json.loads(response.content)["detail"]
    if isinstance(detail, list):
        return any(
            error.get("type") == "json_int_out_of_range"
            or _BEYOND.match(error.get("msg", "").removeprefix("Value error, ")) is not None
            for error in detail
        )
    return isinstance(detail, str) and _BEYOND.match(detail) is not None


def _test_name(method: str, path: str) -> str:
    return "test_" + "_".join([method, *re.findall(r"[a-z0-9]+", path.lower())])


OPERATIONS: dict[str, Any] = {
    _test_name(method, path): f"{method.upper()} {path}"
    for path, item in DOCUMENT["paths"].items()
    for method in item
}
globals().update({name: _conformance_test(label) for name, label in OPERATIONS.items()})
