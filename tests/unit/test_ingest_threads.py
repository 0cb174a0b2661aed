"""How many threads a team server process applies batches with when ``--ingest-threads`` is not
given (``team_cli.default_ingest_threads``)."""

from __future__ import annotations

import pytest

from runyard.server.team_cli import default_ingest_threads


@pytest.mark.parametrize(("processes", "cores", "threads"), [
    (1, 1, 1),  # one core: one thread
    (1, 2, 2),  # one process: two threads, one decoding while the database writes for the other
    (1, 16, 2),  # never more than two: a process's Python runs one thread at a time
    (2, 2, 1),  # two processes on two cores: one each
    (3, 2, 1),  # more processes than cores: still one each
    (4, 8, 2),
    (8, 12, 1),
])
def test_default_ingest_threads(processes: int, cores: int, threads: int) -> None:
    assert default_ingest_threads(processes, cores) == threads


def test_default_ingest_threads_reads_the_host() -> None:
    assert 1 <= default_ingest_threads(1) <= 2
