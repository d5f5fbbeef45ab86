"""Every benchmark runs at a tiny size, so none can rot; their figures are not judged here."""

from __future__ import annotations

import pytest

from bench import (
    bench_api,
    bench_import,
    bench_memory,
    bench_projection,
    bench_search,
    bench_storm,
    bench_workflows,
)


@pytest.mark.parametrize("bench", [bench_import, bench_projection, bench_search, bench_workflows])
def test_benchmark_smoke(
    pg_server_url: str, bench: object, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = bench.run(pg_server_url, 40)  # type: ignore[attr-defined]
    assert figures
    assert all(f.value > 0 for f in figures)
    assert "ratio" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("bench", "size"),
    [(bench_api, 20), (bench_storm, 10), (bench_memory, 10)],
    ids=["api", "storm", "memory"],
)
def test_service_benchmark_smoke(
    pg_server_url: str,
    bench: object,
    size: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The benchmarks that start the board, projector, worker and dev server as processes.

    The API benchmark's tiny run has 5 clerks, not 20: twenty clients, twenty raw-INSERT
    connections and the board's pools beside the test session's own left a 100-connection server
    without room (the full benchmark runs alone)."""
    if hasattr(bench, "CLIENTS"):
        monkeypatch.setattr(bench, "CLIENTS", 5)
    figures = bench.run(pg_server_url, size)  # type: ignore[attr-defined]
    assert figures
    assert figures[-1].value > 0  # memory deltas of a tiny run may be noise; its RSS is not
    assert "INCOMPLETE" not in capsys.readouterr().out


def test_worker_processes_smoke(pg_server_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Onboarding and the storm served by two worker processes (`--workers 2`)."""
    figures = [*bench_workflows.run(pg_server_url, 40, workers=2)]
    figures += bench_storm.run(pg_server_url, 10, workers=2)
    assert all(f.value > 0 for f in figures)
    out = capsys.readouterr().out
    assert "worker processes: 2" in out
    assert "(2 of them" in out
    assert "INCOMPLETE" not in out
