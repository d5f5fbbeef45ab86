"""Every benchmark runs at a tiny size, so none can rot; their figures are not judged here."""

from __future__ import annotations

import pytest

from bench import bench_import, bench_projection, bench_workflows


@pytest.mark.parametrize("bench", [bench_import, bench_projection, bench_workflows])
def test_benchmark_smoke(
    pg_server_url: str, bench: object, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = bench.run(pg_server_url, 40)  # type: ignore[attr-defined]
    assert figures
    assert all(f.value > 0 for f in figures)
    assert "ratio" in capsys.readouterr().out
