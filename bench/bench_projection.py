"""Projection catch-up from zero over an imported store, against a plain sequential read."""

from __future__ import annotations

import time
from datetime import date

from bench.common import Figure, office_on, scratch_schema, show
from bench.raw import read_rate
from projections.catalog import all_models
from projections.runner import Projector
from workers.bootstrap import persistence_env
from workers.province import demo


def run(url: str, members: int, seed: int = 1) -> list[Figure]:
    """Import a demo province, then fold the whole log into every read model from zero."""
    province = demo.generate(members, seed, date(2025, 12, 31))
    with scratch_schema(url) as schema:
        office = office_on(url, schema)
        demo.load(office, province)
        table = office.recorder.events_table_name  # type: ignore[attr-defined]
        total, raw = read_rate(url, schema, table)
        projector = Projector(persistence_env(url, schema), all_models())
        try:
            t = time.perf_counter()
            done = projector.catch_up()
            rate = done / (time.perf_counter() - t)
        finally:
            projector.close()
    print(f"projection catch-up: {done:,} of {total:,} events", flush=True)
    return show(
        [Figure("projection catch-up (all models)", rate, "events/s", "keyset read", raw, 0.5)]
    )
