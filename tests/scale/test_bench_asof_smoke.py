"""The as-of inspection benchmark at a tiny size, so it cannot rot; its times are not judged."""

from __future__ import annotations

import pytest

from bench import bench_asof


def test_bench_asof_smoke(pg_server_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_asof.run(pg_server_url, 40)
    assert len(figures) == 2 * 4 * len(bench_asof.DATES)  # commune and province, four modes
    assert all(f.value > 0 and f.raw_value > 0 for f in figures)
    out = capsys.readouterr().out
    assert "province 2025-12-31 (known-at, half recorded)" in out
    assert "province 2025-12-31 (known-at, all but 1,000 recorded)" in out
    assert "province 2025-12-31 (known-at, all but 20,000 recorded)" in out
    province = [line for line in out.splitlines() if "inspection province" in line]
    commune = [line for line in out.splitlines() if "inspection commune" in line]
    assert len(province) == len(commune) == 4 * len(bench_asof.DATES)
    assert all("target < 1 s" in line for line in province)
    assert all("target < 0.2 s" in line for line in commune)  # the target for a commune
