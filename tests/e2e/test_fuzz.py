"""Property-based fuzzing of the whole api from its own OpenAPI document (schemathesis).

Every operation of the live document gets EXAMPLES generated requests of valid data and
EXAMPLES of invalid data (schemathesis' positive and negative modes), sent as a member of one project; none may be a 5xx, and every answer must be declared
by the document: its status code, its content type and its body's schema. Deterministic
(derandomized), so a failure is the same on every run.
"""

from __future__ import annotations

import time
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.devstack import Suite

EXAMPLES = 50
HEADERS = {"X-Project-Id": "fuzz-project", "X-Roles": "member"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# A VNF package's content is a zip: sent as the binary bodies schemathesis generates.
schemathesis.serializer.alias("application/zip", "application/octet-stream")


def _fuzz(
    operation: schemathesis.APIOperation[Any, Any, Any, Any], mode: GenerationMode
) -> str | None:
    """None if every example passed the checks, else what failed."""
    if (
        mode == GenerationMode.NEGATIVE
        and not operation.body
        and not any(True for _ in operation.iter_parameters())
    ):
        # Nothing to make invalid (GET /vnflcm/api_versions): only valid requests exist.
        return None

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def examples(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=HEADERS, checks=CHECKS, timeout=10)

    try:
        examples()
    except (Exception, BaseExceptionGroup) as exc:
        return f"{operation.label} ({mode.value}): {exc}"
    return None


def test_every_operation_survives_generated_requests(suite: Suite) -> None:
    schema = schemathesis.openapi.from_url(f"{suite.url('api')}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 18
    started = time.monotonic()
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    results = [_fuzz(operation, mode) for operation in operations for mode in modes]
    failures = [failure for failure in results if failure is not None]
    elapsed = time.monotonic() - started
    print(
        f"fuzzed {len(operations)} operations x {len(modes)} modes x {EXAMPLES} examples "
        f"in {elapsed:.1f}s"
    )
    assert not failures, "\n\n".join(failures)
