"""schemathesis over every operation of ``/openapi.json`` against a real server on a loopback
port: no 5xx, and every answer (status code, content type, body) is one the description lists.
Bounded: a fixed number of examples per operation and a time limit for the whole run.

``/api/events`` is left out: it is a stream that stays open (``timeout=0``) by design; its
parameters are bounded in the description and checked by tests/integration/test_door.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import runyard

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis (the dev extra) is not installed")
pytest.importorskip("uvicorn", reason="the server extra is not installed")

from hypothesis import HealthCheck, settings  # noqa: E402

from runyard.server import create_app  # noqa: E402
from runyard.server.testing import serve_in_thread  # noqa: E402

EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("schemathesis") / "runs"
    run = runyard.init(project="p", dir=str(root), config={"lr": 0.1})
    for step in range(20):
        run.log({"loss": 1.0 / (step + 1), "text": f"s{step}"})
    run.finish()
    runyard.unset()
    with serve_in_thread(create_app(root, interval=0.1)) as base:
        yield schemathesis.openapi.from_url(f"{base}/openapi.json").exclude(path="/api/events")


@pytest.mark.timeout(900)
def test_every_operation_answers_within_its_description(api_schema: Any) -> None:
    from hypothesis import given
    from schemathesis.specs.openapi import checks as oa

    checks = [schemathesis.checks.not_a_server_error, oa.status_code_conformance,
              oa.content_type_conformance, oa.response_schema_conformance]
    failures: list[str] = []
    operations = 0
    calls: dict[str, int] = {}
    statuses: set[int] = set()
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call_and_validate(checks=checks, timeout=60)
            key = f"{case.operation.method.upper()} {case.operation.path}"
            calls[key] = calls.get(key, 0) + 1
            statuses.add(response.status_code)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
    assert operations >= 15 and len(calls) == operations, calls
    assert sum(calls.values()) >= 10 * operations, calls  # operations without parameters run once
    assert 200 in statuses and 400 in statuses and 404 in statuses, statuses
    assert not failures, "\n\n".join(failures)
