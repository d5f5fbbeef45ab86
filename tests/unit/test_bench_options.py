"""The benchmarks' command lines: a size and how many worker processes serve the run."""

from __future__ import annotations

import pytest

from bench import bench_storm, bench_workflows


def test_onboarding_takes_a_size_and_a_number_of_workers() -> None:
    assert bench_workflows.options(["2000", "--workers", "2"]) == (2000, 2)
    assert bench_workflows.options(["--workers", "4", "300"]) == (300, 4)


def test_onboarding_defaults_to_the_full_size_and_the_worker_inside_the_benchmark() -> None:
    assert bench_workflows.options([]) == (50_000, None)
    assert bench_workflows.options(["2000"]) == (2000, None)


def test_the_storm_takes_its_deadlines_and_a_number_of_workers() -> None:
    assert bench_storm.options(["--members", "5000", "--workers", "2"]) == (5000, 2)
    assert bench_storm.options([]) == (bench_storm.SMALL, None)


@pytest.mark.parametrize("count", ["0", "-1", "two"])
def test_a_number_of_workers_is_a_count_of_at_least_one(count: str) -> None:
    with pytest.raises(SystemExit):
        bench_workflows.options(["--workers", count])
    with pytest.raises(SystemExit):
        bench_storm.options(["--workers", count])
