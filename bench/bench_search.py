"""Member search latency on a whole province (target: p99 well under a second; we ask < 250 ms).

A demo province is imported and the read models the search reads (units, facts, timeline) caught
up. Then members drawn at random are searched for as people type them, each time in the scope of
a user of the whole province, of the commune with the most members and of the largest workplace:
the name as written, without diacritics, its words in another order, half typed, every keystroke
of it, the surname alone (the most common ones match a third of the province), the party card
and the citizen ID. Each search is timed as the board runs it (how large the user's subtree is,
then the search within it, on one pooled connection). Beside it, in the same run, the physical
limit of the same work: a plain look-up of one member by primary key on the same table.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from bench.common import Figure, Timed, percentile, projected_province, show
from projections import reads, search
from projections.dashboard import scope
from workers.province.demo_tree import PROVINCE

UNTIL = date(2025, 12, 31)
ON = date(2026, 1, 10)
SAMPLE = 60
"""Members searched for in each scope (each gives about a dozen searches)."""
HITS = 20
CEILING_MS = 250.0
READ_MODELS = ("units", "facts", "timeline")
"""The read models a search reads (members and liaisons, unit names, stages)."""

_LARGEST = (
    "SELECT a.ancestor_id FROM unit_ancestry a JOIN unit u ON u.unit_id = a.ancestor_id"
    " JOIN {table} x ON x.{column} = a.unit_id WHERE u.kind = ANY($1::text[])"
    " AND a.valid_from <= $2 AND (a.valid_until IS NULL OR $2 < a.valid_until)"
    " GROUP BY a.ancestor_id ORDER BY count(*) DESC, a.ancestor_id LIMIT 1"
)
"""The unit of those kinds in force on a date with the most members (or liaisons) under it."""
_IN_SCOPE = (
    "SELECT DISTINCT m.member_id, m.name, m.party_card_number, m.citizen_id FROM member m"
    " LEFT JOIN liaison l ON l.member_id = m.member_id WHERE m.workplace_unit_id = ANY($1)"
    " OR l.commune_id = ANY($1) OR l.cell_id = ANY($1) ORDER BY m.member_id"
)
"""The members a user of those units finds (the search's own rule, spelled out plainly)."""


@dataclass(frozen=True)
class Latency(Timed):
    """A latency in milliseconds beside the raw one, with `ceiling` as the most allowed."""

    value_format = "{:.1f}"
    raw_format = "{:.2f}"
    times_format = "ratio {:.1f}×"


def typed(member: dict[str, Any]) -> list[str]:
    """What people type to find this member, keystroke by keystroke where they type a name."""
    name = member["name"]
    folded = " ".join(search.terms(name))
    parts = folded.split()
    texts = [name, folded, " ".join(reversed(parts)), parts[0], member["party_card_number"]]
    texts += [folded[:end] for end in range(1, len(folded) + 1) if not folded[end - 1].isspace()]
    if member["citizen_id"]:
        texts.append(member["citizen_id"])
    return texts


async def _timed(conn: Any, unit: str, texts: list[str]) -> tuple[list[float], int]:
    """Milliseconds of each search as the board runs it, and how many found nobody."""
    times, empty = [], 0
    for text in texts:
        started = time.perf_counter()
        hits = await search.search(conn, unit, ON, text, HITS)
        times.append(1000 * (time.perf_counter() - started))
        empty += not hits.rows
    return times, empty


async def _raw(conn: Any, ids: list[Any], rng: random.Random, n: int) -> list[float]:
    """Milliseconds of `n` look-ups of one member by primary key, on the same connection."""
    times = []
    for member_id in rng.choices(ids, k=n):
        started = time.perf_counter()
        await conn.fetchrow(
            "SELECT member_id, name, party_card_number FROM member WHERE member_id = $1", member_id
        )
        times.append(1000 * (time.perf_counter() - started))
    return times


def _figures(label: str, times: list[float], raw: list[float]) -> list[Figure]:
    return [
        Latency(
            f"member search {name}, {label} ({len(times):,} searches)",
            percentile(times, share),
            "ms",
            f"primary-key look-up {name}",
            percentile(raw, share),
            ceiling=CEILING_MS,
        )
        for name, share in (("p50", 0.5), ("p99", 0.99))
    ]


async def _measure(url: str, schema: str, seed: int) -> list[Figure]:
    conn = await reads.connect(url, schema)
    try:
        # Fresh statistics, as autovacuum would have them shortly after a rebuild.
        for table in ("member", "liaison", "unit_ancestry", "unit", "timeline"):
            await conn.execute(f"ANALYZE {table}")
        ids = [r["member_id"] for r in await conn.fetch("SELECT member_id FROM member")]
        commune = await conn.fetchval(
            _LARGEST.format(table="liaison", column="commune_id"), ["commune_committee"], ON
        )
        workplace = await conn.fetchval(
            _LARGEST.format(table="member", column="workplace_unit_id"),
            ["workplace_committee", "grassroots_cell"],
            ON,
        )
        rng = random.Random(seed)
        raw = await _raw(conn, ids, rng, 2000)
        figures: list[Figure] = []
        every: list[float] = []
        for label, unit in (("province", PROVINCE), ("commune", commune), ("workplace", workplace)):
            if unit is None:
                continue
            units = await scope(conn, unit, ON)
            members = await conn.fetch(_IN_SCOPE, units)
            chosen = rng.sample(list(members), min(SAMPLE, len(members)))
            texts = [t for m in chosen for t in typed(dict(m))]
            times, empty = await _timed(conn, unit, texts)
            every += times
            print(
                f"search: {label} {unit}: {len(members):,} of {len(ids):,} members in scope,"
                f" {len(texts):,} searches ({empty} found nobody)",
                flush=True,
            )
            figures += _figures(f"{label}'s scope", times, raw)
        return figures + _figures("all scopes", every, raw)
    finally:
        await conn.close()


def run(url: str, members: int, seed: int = 1) -> list[Figure]:
    """Import a demo province, catch the search's read models up, then time the searches."""
    with projected_province(url, members, seed, UNTIL, READ_MODELS, "search") as schema:
        return show(asyncio.run(_measure(url, schema, seed)))


def measure(url: str, schema: str, seed: int = 1) -> list[Figure]:
    """Time the searches on a store imported and projected before (a schema that was kept)."""
    return show(asyncio.run(_measure(url, schema, seed)))


if __name__ == "__main__":
    import sys

    from bench.common import bench_url

    if len(sys.argv) == 3 and sys.argv[1] == "--schema":
        measure(bench_url(), sys.argv[2])
    else:
        run(bench_url(), int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
