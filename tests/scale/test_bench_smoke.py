"""Every benchmark runs at a tiny size, so none can rot; their figures are not judged here."""

from __future__ import annotations

import gc
import re
import weakref
from datetime import date

import psycopg
import pytest

from bench import (
    bench_api,
    bench_import,
    bench_memory,
    bench_projection,
    bench_search,
    bench_storm,
    bench_workflows,
    common,
)
from projections.catalog import all_models
from workers.bootstrap import persistence_env
from workers.province import demo


def test_benchmark_smoke(
    pg_server_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m bench`'s benchmarks over one store: the province the import benchmark imports
    is the one the catch-up folds from zero and the search reads (at 300,000 members each import
    is twenty minutes); it is generated once, and dropped at the end."""
    generated = []
    generate = demo.generate
    monkeypatch.setattr(demo, "generate", lambda *a: generated.append(a) or generate(*a))
    with common.sharing(pg_server_url):
        figures = [
            *bench_import.run(pg_server_url, 40),
            *bench_projection.run(pg_server_url, 40),
            *bench_search.run(pg_server_url, 40),
        ]
        kept = list(common._SHARED.schemas.values())  # what `sharing` drops at its end
        # Every read model is caught up now: the catch-up benchmark still measures from zero.
        again, _ = bench_projection.catch_up(persistence_env(pg_server_url, kept[0]), all_models())
    assert figures
    assert all(f.value > 0 for f in figures)
    out = capsys.readouterr().out
    assert "ratio" in out
    assert len(generated) == 1, generated
    assert out.count("province imported earlier in this run") == 2
    folded = re.search(r"projection catch-up: ([\d,]+) of ([\d,]+) events", out)
    assert folded is not None
    assert folded[1] == folded[2]
    assert "projection catch-up by quarter of the log: " in out
    assert again == int(folded[2].replace(",", "")) > 0
    assert len(kept) == 1
    with psycopg.connect(pg_server_url) as conn:
        left = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", kept)
        assert left.fetchone() == (0,)
    generated.clear()
    bench_workflows.run(pg_server_url, 40)  # alone, outside `sharing`: a province of its own
    assert len(generated) == 1


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


def test_a_province_imported_for_a_benchmark_is_not_held_while_it_measures(
    pg_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated province (millions of objects at full size) is let go once imported: a
    benchmark run alone measured this process's garbage collections of it, about a second each
    at 50,000 members, inside its timed searches."""
    held: list[weakref.ref[demo.Province]] = []
    generate = demo.generate
    monkeypatch.setattr(demo, "generate", lambda *a: _kept(held, generate(*a)))
    with common.imported_province(pg_server_url, 40, 1, date(2025, 12, 31)):
        gc.collect()
        assert len(held) == 1
        assert held[0]() is None


def _kept(held: list[weakref.ref[demo.Province]], province: demo.Province) -> demo.Province:
    held.append(weakref.ref(province))
    return province
