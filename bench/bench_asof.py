"""As-of inspection of a commune and of the whole province at three past dates (targets: the
province under 1 s, a commune under 0.2 s; issue 18).

Each inspection is the board's dashboard as `liaison inspect` prints it (the period's figures and
the same period of the previous year, read at once on two connections as the board's statistics
page reads them) for an effective date, and once more as the records stood
at each of three past recorded times (half the facts recorded; all but the last 20,000 facts of
members, a few days back in a live province; all but the last thousand). Each is run three
times and the median reported beside the raw limit measured in the same run: a plain `count(*)`
over the facts table the figures are read from. The read tables are analysed once
after the catch-up (autovacuum's job, done now so that plans do not depend on when it last ran).
Projection catch-up itself is `bench/bench_projection.py`'s figure, not measured again here.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from bench.common import Figure, Timed, projected_province, show
from projections import reads
from projections.dashboard import Period, dashboard
from workers.province.demo_tree import PROVINCE

UNTIL = date(2025, 12, 31)
DATES = (date(2019, 12, 31), date(2024, 6, 30), date(2025, 12, 31))
"""Before the 2020 regulation change, before the 1 July 2025 merger, and after it."""
RUNS = 3
LIMIT_SECONDS = 1.0
"""The most a whole province's inspection may take."""
COMMUNE_LIMIT_SECONDS = 0.2
"""The most a commune's may take."""
READ_MODELS = ("units", "facts", "escalations")
"""The read models the dashboard reads (the audit trail, timeline and seal are not needed here)."""

_LARGEST_COMMUNE = (
    "WITH n AS (SELECT coalesce(unit_id, workplace_id) AS unit_id, count(*) AS n FROM fact"
    " GROUP BY 1)"
    " SELECT a.ancestor_id FROM unit_ancestry a JOIN unit u ON u.unit_id = a.ancestor_id"
    " JOIN n ON n.unit_id = a.unit_id WHERE u.kind = 'commune_committee'"
    " AND a.valid_from <= $1 AND (a.valid_until IS NULL OR $1 < a.valid_until)"
    " GROUP BY a.ancestor_id ORDER BY sum(n.n) DESC, a.ancestor_id LIMIT 1"
)
"""The commune in force on a date with the most fact rows rolling into it (the worst case)."""
_MIDDLE_RECORDED = "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY recorded_at) FROM fact"
"""A known-at time at which half of the facts had been recorded."""
LATER_FACTS = 1_000
DAYS_FACTS = 20_000
"""The facts of members recorded after a time a few days back in a live province (some 1,600
members at 150,000: within `dashboard.KNOWN_AT_MEMBERS`, so the steps are corrected)."""
_RECENTLY_RECORDED = (
    "SELECT recorded_at FROM fact WHERE member_id IS NOT NULL"
    " ORDER BY recorded_at DESC OFFSET $1 LIMIT 1"
)
"""A known-at time after which only the last `LATER_FACTS` facts of members were recorded (and
the meetings the import writes last): an inspection of the recent past, or evidence fixed at
the seal's head. A large unit's board then reads its steps less what those records changed,
where at the middle time it counts from the facts."""


@dataclass(frozen=True)
class Seconds(Timed):
    """A time in seconds beside a raw time, with `target` as the most seconds allowed."""

    value_format = raw_format = "{:.3f}"
    times_format = "{:.1f}× raw"

    @property
    def limit(self) -> float | None:
        return self.target


async def _median(call: Callable[[], Awaitable[Any]], runs: int = RUNS) -> float:
    """The median wall time of `runs` calls, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def _inspect(url: str, schema: str) -> list[Figure]:
    conn = await reads.connect(url, schema)
    other = await reads.connect(url, schema)  # the year before, read at once (`liaison inspect`)
    try:
        # Fresh statistics, as autovacuum would have them shortly after a rebuild.
        await conn.execute(
            "ANALYZE fact; ANALYZE liaison; ANALYZE unit_ancestry; ANALYZE escalation"
        )
        facts = int(await conn.fetchval("SELECT count(*) FROM fact"))
        raw = await _median(lambda: conn.fetchval("SELECT count(*) FROM fact"))
        known_at: datetime = await conn.fetchval(_MIDDLE_RECORDED)
        members_facts = await conn.fetchval("SELECT count(member_id) FROM fact")
        recent: datetime = await conn.fetchval(
            _RECENTLY_RECORDED, min(LATER_FACTS, members_facts - 1)
        )
        days: datetime = await conn.fetchval(_RECENTLY_RECORDED, min(DAYS_FACTS, members_facts - 1))
        print(
            f"as-of: {facts:,} fact rows; known-at {known_at.isoformat()} (half of them recorded)"
            f", {recent.isoformat()} (all but the last {LATER_FACTS:,} of members) and"
            f" {days.isoformat()} (all but the last {DAYS_FACTS:,})",
            flush=True,
        )
        figures: list[Figure] = []
        for day in DATES:
            commune = str(await conn.fetchval(_LARGEST_COMMUNE, day))
            units = ((f"commune {commune}", commune, COMMUNE_LIMIT_SECONDS),
                     ("province", PROVINCE, LIMIT_SECONDS))  # fmt: skip
            for label, unit, limit in units:
                modes = (("effective", None), ("known-at, half recorded", known_at),
                         (f"known-at, all but {LATER_FACTS:,} recorded", recent),
                         (f"known-at, all but {DAYS_FACTS:,} recorded", days))  # fmt: skip
                for mode, at in modes:
                    seconds = await _median(partial(dashboard, conn, Period(unit, day, at), other))
                    figures.append(
                        Seconds(
                            f"as-of inspection {label} {day.isoformat()} ({mode})",
                            seconds,
                            "s",
                            "count(*) over fact",
                            raw,
                            limit,
                        )
                    )
        return figures
    finally:
        await conn.close()
        await other.close()


def run(url: str, members: int, seed: int = 1) -> list[Figure]:
    """Import a demo province, catch the dashboard's read models up, then time the inspections."""
    with projected_province(url, members, seed, UNTIL, READ_MODELS, "as-of") as schema:
        return show(asyncio.run(_inspect(url, schema)))
