"""The stage funnel kept per large unit: how many liaisons stood at each stage on any date (issue
18, point 1), so that a province's statistics page reads a few thousand steps instead of looking
up the timeline of each of its hundreds of thousands of liaisons, for the year and the year before.

The funnel counts, on a date d, the liaisons that concern the subtree (their workplace, commune or
cell rolls into the unit on d), each at the stage its latest version effective by d left it in
(`projections.liaisons`). As versions come in order, a liaison's stage over d is a step function
that each new version (effective on e, leaving stage s) truncates at e and continues with s from
e on: `advanced` keeps it as segments (the first day of each, and its stage), stored with the
liaison's row (`liaison.stage_days`, `liaison.stages`). A large unit's funnel is the sum of the
parts of its liaisons: `stage_step` keeps it as signed steps per unit, stage and date, and the
board on d adds the steps up to d.

The facts model keeps the steps in the transaction of its liaisons: for each liaison a batch
touches it takes its part as it was before the batch out and adds its part now (and, when the tree
changes, does so for the liaisons of the unit ids that moved, under the old roll-up and the new).
A bulk catch-up does not keep them; they are built once at its end (`Stages.rebuild`) from the
liaisons' rows, and again whenever `stage_step_state` says they are behind. A funnel as known at a
past time is counted from the timeline as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from psycopg.rows import tuple_row

from projections.figures import TALLIED_UNIT
from projections.model import Cursor, Derived, copy_rows
from projections.standing import Steps, upsert
from projections.tally import Interval, RollUp, merged

Segments = tuple[tuple[date, str], ...]
"""A liaison's stage over the dates: each segment's first day and stage, in order of day; the
last runs on, and before the first the liaison had not begun."""
Part = tuple[tuple[str | None, ...], Segments]
"""What a liaison adds to the funnel: its unit ids (workplace, commune, cell) and its segments."""
COLUMNS = {"ancestor_id": "text", "stage": "text", "on_date": "date", "n": "int4"}
PART_COLUMNS = "workplace_unit_id, commune_id, cell_id, stage_days, stages"
"""The columns of a `liaison` row that make its `Part` (`part_of`)."""
NOTHING: Part = ((), ())


def advanced(segments: Segments, day: date, stage: str) -> Segments:
    """The segments once a new version effective on `day` leaves the liaison at `stage`: from
    `day` on it is what the liaison's stage then reads."""
    kept = tuple(s for s in segments if s[0] < day)
    return kept if kept and kept[-1][1] == stage else (*kept, (day, stage))


def part_steps(part: Part, rolls: RollUp, sign: int, into: Steps) -> None:
    """Add (or take out) the liaison's steps: +1 where it enters a stage under a tallied
    ancestor, -1 where it leaves it (a new segment, or its units no longer rolling into it)."""
    units, segments = part
    if not segments:
        return
    spans: dict[str, list[Interval]] = defaultdict(list)
    for unit in units:
        for ancestor, periods in rolls.get(unit or "", {}).items():
            spans[ancestor].extend(periods)
    ends = [s[0] for s in segments[1:]] + [None]
    for ancestor, held in spans.items():
        for since, until in merged(held):
            for (start, stage), end in zip(segments, ends, strict=True):
                low = max(start, since)
                high = end if until is None else until if end is None else min(end, until)
                if high is not None and high <= low:
                    continue
                key = (ancestor, stage, low)
                into[key] = into.get(key, 0) + sign
                if high is not None:
                    key = (ancestor, stage, high)
                    into[key] = into.get(key, 0) - sign


class Stages(Derived):
    """Keeps `stage_step` (table names given by the model) with the liaisons' rows; until it is
    built the funnel is counted from the timeline."""

    state: ClassVar[str] = "stage_step_state"
    column: ClassVar[str] = "stepped_to"

    def save(
        self,
        cur: Cursor,
        tables: Mapping[str, str],
        position: int,
        last: int,
        changes: Mapping[Any, tuple[Part, Part]],
        rolls: tuple[RollUp, RollUp],
        moved: Sequence[str],
    ) -> None:
        """Before the liaisons' rows of the batch ending at `last` are written: each changed
        liaison's part (before, now) taken out under the old roll-up and added under the new,
        and so for the liaisons of the `moved` unit ids; `rolls` is (before, now)."""
        if self.behind(cur, tables, position):
            self.rebuild(cur, tables, position, rolls[0])
        steps: Steps = {}
        for before, now in changes.values():
            part_steps(before, rolls[0], -1, steps)
            part_steps(now, rolls[1], 1, steps)
        if moved:
            cur.execute(
                f"SELECT liaison_id, {PART_COLUMNS} FROM {tables['liaison']}"
                " WHERE workplace_unit_id = ANY(%s)"
                " OR commune_id = ANY(%s) OR cell_id = ANY(%s)",
                (list(moved),) * 3,
            )
            for row in cur.fetchall():
                if row["liaison_id"] in changes:
                    continue
                part = part_of(tuple(row.values())[1:])
                part_steps(part, rolls[0], -1, steps)
                part_steps(part, rolls[1], 1, steps)
        upsert(cur, tables["stage_step"], COLUMNS, steps)
        self.reached(cur, tables, last)

    def rebuild(self, cur: Cursor, tables: Mapping[str, str], upto: int, rolls: RollUp) -> None:
        """Count every liaison's part again from the liaisons' rows (as of event `upto`)."""
        cur.execute(f"TRUNCATE {tables['stage_step']}")
        steps: Steps = {}
        with cur.connection.cursor(name="stages_rebuild", row_factory=tuple_row) as read:
            read.itersize = 20_000
            read.execute(f"SELECT {PART_COLUMNS} FROM {tables['liaison']}")
            for row in read:
                part_steps(part_of(row), rolls, 1, steps)
        copy_rows(cur, tables["stage_step"], COLUMNS, ((*k, n) for k, n in steps.items() if n))
        self.reached(cur, tables, upto)


def part_of(row: Iterable[Any]) -> Part:
    """A liaison's part from the values of its row's `PART_COLUMNS`."""
    workplace, commune, cell, days, stages = row
    return (workplace, commune, cell), tuple(zip(days or (), stages or (), strict=True))


def ddl(steps: str, state: str) -> list[str]:
    """The tables: the funnel's steps per tallied unit, and the event they count up to."""
    return [
        f"CREATE TABLE IF NOT EXISTS {steps} (ancestor_id text NOT NULL, stage text NOT NULL,"
        " on_date date NOT NULL, n int NOT NULL, PRIMARY KEY (ancestor_id, stage, on_date))",
        f"CREATE TABLE IF NOT EXISTS {state} (stepped_to bigint NOT NULL)",
    ]


STEPPED_UNIT = (
    f"SELECT t.ancestor_id FROM ({TALLIED_UNIT}) t WHERE EXISTS (SELECT FROM stage_step_state)"
)
"""The unit in force on $2 that carries $1, if the facts model tallies it and keeps its funnel."""
STEPPED = (
    "SELECT s.stage, sum(s.n)::int8 AS n FROM stage_step s"
    " WHERE s.ancestor_id = $1 AND s.on_date <= $2 GROUP BY s.stage HAVING sum(s.n) <> 0"
)
"""The funnel of ancestor $1 on $2."""
