"""`python -m bench [MEMBERS]`: every benchmark that can run today, figure beside raw limit."""

from __future__ import annotations

import importlib
import sys
import time

from bench.common import bench_url, sharing

BENCHES = (
    "bench.bench_import",
    "bench.bench_projection",
    "bench.bench_asof",
    "bench.bench_board",
    "bench.bench_search",
    "bench.bench_workflows",
    "bench.bench_api",
    "bench.bench_storm",
    "bench.bench_memory",
)
"""In this order: the province the import measures is the store the catch-up then folds from
zero, and the inspections and searches read; the workflows' benchmark, which writes to it, last."""


def main(members: int = 50_000) -> None:
    """Run each benchmark module's `run(url, members)`; a missing or failing one is reported."""
    url = bench_url()
    print(
        f"Liaison benchmarks · {members:,} members · {url.split('@')[-1]}"
        f" · {time.strftime('%Y-%m-%d %H:%M')}"
    )
    with sharing(url):  # one import of the province for all of them
        for name in BENCHES:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError:
                print(f"{name}: not available yet")
                continue
            try:
                module.run(url, members)
            except Exception as error:  # one failed benchmark must not hide the others' figures
                print(f"{name}: FAILED {type(error).__name__}: {error}", flush=True)
    print(
        "full sizes run on their own: python -m bench.bench_storm --members 50000,"
        " python -m bench.bench_memory --workflows 100000"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
