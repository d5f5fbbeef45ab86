"""Projection catch-up from zero over an imported store, against the least work of the same job
and against the eventsourcing library's own projection runner (the peer), in the same run.

- Raw limit (`bench.raw.catch_up_limit`): read the same events in order, decode each with the
  application's mapper, and COPY as many rows as the read models hold after the catch-up (per
  table, of the same columns and values) into unindexed scratch tables, one transaction a batch.
  Reading, decoding and writing those rows is work no catch-up can skip; what Liaison's projector
  adds (state, building rows, indexes, tracking) is what the ratio measures.
- Peer (`bench.peer`): the library's `BaseProjectionRunner` writing the same facts (the same read
  models) one event per transaction through its tracking recorder, as the library intends. It
  runs on PEER_EVENTS events of the log at most (at its pace the whole log would take hours at
  full size), those after the reference data the log opens with (`reference_end`: at 300,000
  members the tree alone is 28,688 events, and folding a tree one unit a transaction measures
  the units model's whole-tree rewrite, not a catch-up of members); then Liaison's projector
  folds the same events into models of its own, and the two rates of the same events are
  compared (the label says so). Both sides are given the reference data untimed first.
- Pace (issue 18: "no slowing within a run"): the catch-up's own rate over each quarter of the
  log, as its progress reports it (`Pace`), the last quarter's beside the fastest of the first
  three; and the final build after the last event is folded (deferred indexes, the steps and
  tasks worked out from the facts, statistics), which the whole run's rate includes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

import psycopg
from psycopg import sql

from bench.common import Figure, imported_province, office_on, show
from bench.peer import peer_rate
from bench.raw import catch_up_limit, read_rate, shapes
from domain import registry
from projections.catalog import all_models
from projections.model import ReadModel
from projections.runner import Projector
from workers.bootstrap import persistence_env

UNTIL = date(2025, 12, 31)
PEER_EVENTS = 10_000
"""The most events the library's runner folds (≈ 130 events/s on this machine); when the log
holds more, Liaison's projector folds the same prefix into models of its own (PREFIX) too, and
the peer's ratio compares the two on the same events."""
PREFIX = "_prefix"


def nth_position(url: str, schema: str, table: str, n: int, after: int = 0) -> int:
    """The notification id of the n-th event of the log after notification `after` (the last
    one if it holds fewer)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            sql.SQL(
                "SELECT max(notification_id) FROM (SELECT notification_id FROM {}"
                " WHERE notification_id > %s ORDER BY notification_id LIMIT %s) AS first"
            ).format(sql.Identifier(schema, table)),
            (after, n),
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else after


def reference_end(url: str, schema: str, table: str) -> int:
    """The notification id of the last event of the reference data the log opens with (the
    organisation tree, its successions, the installation: `domain.registry`'s events, with the
    receipts of the commands that wrote them) before the first event of any other kind."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            sql.SQL("SELECT min(notification_id) FROM {} WHERE topic NOT LIKE %s").format(
                sql.Identifier(schema, table)
            ),
            (f"{registry.__name__}:%",),
        ).fetchone()
    return int(row[0]) - 1 if row and row[0] is not None else 0


QUARTERS = 4
NO_SLOWING = 0.9
"""The least share of the fastest of the earlier quarters' rates the last quarter keeps."""


@dataclass
class Pace:
    """A catch-up's progress as it reports it: (seconds since the start, events folded so far),
    and when it ended (the last event folded and what it builds at the end built)."""

    started: float = field(default_factory=time.perf_counter)
    marks: list[tuple[float, int]] = field(default_factory=lambda: [(0.0, 0)])
    ended: float = 0.0

    def __call__(self, done: int, _target: int) -> None:
        self.marks.append((time.perf_counter() - self.started, done))

    def end(self) -> None:
        self.ended = time.perf_counter() - self.started

    def reached(self, events: float) -> float:
        """The seconds at which this many events had been folded (between two reports, as if
        folded evenly)."""
        before = self.marks[0]
        for mark in self.marks:
            if mark[1] >= events:
                seconds, done = before
                if mark[1] == done:
                    return mark[0]
                return seconds + (mark[0] - seconds) * (events - done) / (mark[1] - done)
            before = mark
        return self.marks[-1][0]

    def quarters(self) -> list[float]:
        """Events a second over each quarter of the events folded."""
        total = self.marks[-1][1]
        times = [self.reached(total * q / QUARTERS) for q in range(QUARTERS + 1)]
        return [total / QUARTERS / max(later - earlier, 1e-9) for earlier, later in pairwise(times)]

    def final_build(self) -> float:
        """Seconds from the last event folded to the catch-up's end."""
        return self.ended - self.reached(self.marks[-1][1])


def catch_up(
    env: dict[str, str],
    models: list[ReadModel],
    stop: int | None = None,
    after: int = 0,
    pace: Pace | None = None,
) -> tuple[int, float]:
    """Events and events/s of Liaison's projector folding the log from notification `after` (up
    to `stop`) into these models; from zero, what comes before `after` folded untimed first.
    Its progress goes to `pace`, if given."""
    projector = Projector(env, models)
    try:
        projector.start_over()  # from zero, whatever an earlier benchmark left
        if after:
            projector.catch_up(after)
        started = time.perf_counter()
        if pace is not None:
            pace.started = started
        done = projector.catch_up(stop, pace)
        if pace is not None:
            pace.end()
        return done, done / (time.perf_counter() - started)
    finally:
        projector.close()


def run(url: str, members: int, seed: int = 1) -> list[Figure]:
    """Import a demo province, then fold the whole log into every read model from zero."""
    with imported_province(url, members, seed, UNTIL) as schema:
        office = office_on(url, schema)
        table = office.recorder.events_table_name  # type: ignore[attr-defined]
        total, read = read_rate(url, schema, table)
        env = persistence_env(url, schema)
        models = all_models()
        pace = Pace()
        done, rate = catch_up(env, models, pace=pace)
        held = shapes(url, schema, [name for m in models for name in m.tables])
        _, limit = catch_up_limit(url, schema, table, total, held, office.mapper.to_domain_event)
        office.close()
        after = reference_end(url, schema, table)
        peer_events = min(PEER_EVENTS, total - after)
        last = nth_position(url, schema, table, peer_events, after)
        whole = peer_events == total
        same = rate if whole else catch_up(env, all_models(PREFIX), last, after)[1]
        peer = peer_rate(env, last, peer_events, after=after)
    rows = sum(s.rows for s in held)
    print(
        f"projection catch-up: {done:,} of {total:,} events; the read models hold {rows:,} rows"
        f" ({rows / max(done, 1):.1f} an event: "
        + ", ".join(f"{s.table} {s.rows:,}" for s in held)
        + f"); keyset read alone {read:,.0f} events/s",
        flush=True,
    )
    quarters = pace.quarters()
    print(
        "projection catch-up by quarter of the log: "
        + ", ".join(f"{r:,.0f}" for r in quarters)
        + f" events/s; then the final build {pace.final_build():.1f} s of {pace.ended:.1f} s",
        flush=True,
    )
    pipeline = "read + decode + COPY of as many rows per table"
    library = "eventsourcing's projection runner, same models, same events"
    name = "projection catch-up (all models)"
    first = name if whole else f"{name}, {peer_events:,} events after {after:,} of reference data"
    return show(
        [
            Figure(name, rate, "events/s", pipeline, limit, 0.5),
            Figure(first, same, "events/s", library, peer, 10.0),
            Figure(
                "projection catch-up, last quarter of the log",
                quarters[-1],
                "events/s",
                "the fastest earlier quarter, same run",
                max(quarters[:-1]),
                NO_SLOWING,
            ),
        ]
    )


if __name__ == "__main__":
    import sys

    from bench.common import run_alone

    run_alone(run, sys.argv)
