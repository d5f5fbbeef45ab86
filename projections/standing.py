"""Counts of the state figures kept per large unit: how many stand in a state on any date (issue
18, point 1), so that a province's board reads a few thousand steps instead of every fact.

A state figure (members in scope, assessments due, cells attending…) counts, on the as-of date d,
the rows `projections.figures` selects with the facts effective by d. For one member those rows
change only on a few dates: the dates of the member's facts, the day after a due date, and the
dates on which a unit id of theirs moves to another large unit. So each member's part of a
figure is a step function of d, and a unit's figure is the sum of its members' parts: the table
`fact_step` keeps that sum as signed steps (on such a date the count goes up or down by n), and a
board of the unit on d adds the steps up to d.

`rows_at` says, in Python, which rows the figures' SQL selects for one member on one
date and one unit: the two statements of the same rules, which the tests compare on every date.
The figures that count cells (attending, assessing, assessed) count a cell while it has rows:
`fact_cell_step` keeps each cell's row counts as steps, and a cell's figure steps when its count
leaves or returns to zero.

The facts model keeps both tables in the transaction of its facts: for the members a batch
touches (and, when the tree changes, the members of the unit ids that moved) it takes their part
as it was before the batch out and adds their part now. A bulk catch-up does not keep them; they
are built once at its end (`Standing.rebuild`), and built again whenever they are found behind
the facts (`fact_step_state` records the event they count up to; no row: not kept, and a board
counts from the facts).

A known-at inspection (what the records held at a past time) reads the same steps, less what the
facts recorded after that time changed: only the members with such a fact effective by the as-of
date can count differently, and `unknown_rows` works out, with the same rules, their rows with
every fact less their rows with the facts known then (`projections.dashboard` asks it for a few
members, and counts from the facts when many were recorded later, as in a store just imported).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any, ClassVar, NamedTuple

from psycopg.rows import tuple_row

from projections.cores import Cores
from projections.model import Cursor, Derived, copy_rows
from projections.tally import RollUp

REFERRAL_DAYS = 30
"""The default of `domain.policy.Deadlines.referral_days`, for `registered` rows written before
they carried their due date (`domain.deadlines.referral_deadline` under the province's policy on
the registration date, overrides included)."""
STANDING_KINDS = (
    "registered", "referred", "received_commune", "received_cell", "closed", "exempt_intro",
    "exempt_intro_lifted", "exempt_act", "exempt_act_lifted", "assessment_due", "assessed",
    "requested", "provided",
)  # fmt: skip
"""The kinds of fact the state figures read."""
FIGURES = (
    "members_in_scope", "referrals_late", "awaiting_receipt", "exempt_from_introduction",
    "exempt_from_activities", "requests_open", "requests_overdue", "assessments_due",
    "assessments_outstanding", "assessments_overdue", "cells_attending", "cells_assessing",
    "cells_assessed",
)  # fmt: skip
"""The figures `fact_step` counts (of the board's figures, all but the one-fact figures of
`projections.tally` and the open escalations, which the escalations model keeps)."""


class Fact(NamedTuple):
    """What the state figures read of a `fact` row."""

    nid: int
    kind: str
    member: Any
    liaison: Any
    unit: str | None
    workplace: str | None
    day: date
    year: int | None
    code: str | None
    due: date | None


FACT_SELECT = (
    "SELECT notification_id, kind, member_id, liaison_id, unit_id, workplace_id, effective_date,"
    " year, code, due_on FROM {table}"
)


@dataclass(eq=False)
class _Liaison:
    """What the rules ask of one liaison's other facts."""

    closed: date | None = None
    exemptions: list[tuple[date, int, bool]] = field(default_factory=list)
    received_cell: date | None = None
    provided: dict[str | None, date] = field(default_factory=dict)
    assessed: dict[int | None, date] = field(default_factory=dict)

    def closed_by(self, day: date) -> bool:
        return self.closed is not None and self.closed <= day

    def exempt_on(self, day: date) -> bool:
        """The latest exemption or lift by `day` is an exemption."""
        latest = None
        for since, _nid, exempt in self.exemptions:
            if since > day:
                break
            latest = exempt
        return bool(latest)


def _earliest(book: dict[Any, date], key: Any, day: date) -> None:
    if key not in book or day < book[key]:
        book[key] = day


_NONE = _Liaison()
_BY_YEAR = ("assessment_due", "assessed")
"""The kinds read year by year (the assessments of one year count for that year's board)."""
_LIAISON_DATES = ("closed", "exempt_act", "exempt_act_lifted")
"""Kinds whose dates change whether a liaison's assessment is owed."""
Held = list[tuple[Fact, _Liaison]]
"""Facts of some kinds, in (date, event) order, each beside what its liaison's facts say."""


class _Member:
    """One member's facts, sorted by the rule that reads them (each rule reads its own few)."""

    def __init__(self, facts: Sequence[Fact]) -> None:
        liaisons: dict[Any, _Liaison] = defaultdict(_Liaison)
        for f in facts:
            if f.liaison is None:
                continue
            li = liaisons[f.liaison]
            if f.kind == "closed":
                li.closed = f.day if li.closed is None else min(li.closed, f.day)
            elif f.kind in ("exempt_act", "exempt_act_lifted"):
                li.exemptions.append((f.day, f.nid, f.kind == "exempt_act"))
            elif f.kind == "received_cell":
                li.received_cell = (
                    f.day if li.received_cell is None else min(li.received_cell, f.day)
                )
            elif f.kind == "provided":
                _earliest(li.provided, f.code, f.day)
            elif f.kind == "assessed":
                _earliest(li.assessed, f.year, f.day)
        for li in liaisons.values():
            li.exemptions.sort()
        self.by_kind: dict[Any, Held] = defaultdict(list)
        for f in sorted(facts, key=_at):
            held = (f, liaisons[f.liaison] if f.liaison else _NONE)
            self.by_kind[(f.kind, f.year) if f.kind in _BY_YEAR else f.kind].append(held)
        self.years = sorted({f.year for f in facts if f.kind in _BY_YEAR and f.year is not None})
        self.referred = min((f.day for f, _ in self.by_kind["referred"]), default=None)
        self.exempted = min((f.day for f, _ in self.by_kind["exempt_intro"]), default=None)

    def of(self, *kinds: Any) -> Held:
        """The facts of these kinds (an assessment's: kind and year), in (date, event) order."""
        if len(kinds) == 1:
            return self.by_kind.get(kinds[0], [])
        if kinds not in self.by_kind:
            merged = (h for k in kinds for h in self.by_kind.get(k, []))
            self.by_kind[kinds] = sorted(merged, key=lambda h: _at(h[0]))
        return self.by_kind[kinds]


Counts = dict[tuple[Any, ...], int]
Rows = tuple[Counts, Counts]
"""A member's rows on a date: counts by (figure, code, year), and by (cell, row kind, year) (a
workplace's too, for its overdue row kind)."""


def rows_at(member: _Member, day: date, inside: set[str], year: int | None = None) -> Rows:
    """The rows of one member's facts that the figures' SQL selects on `day` for a unit into
    which the unit ids `inside` roll on that day (`projections.figures`, rule by rule): of the
    figures without a year, or (`year`) of that year's assessments."""
    figures: Counts = defaultdict(int)  # made by the million in a rebuild: cheaper than a Counter
    cells: Counts = defaultdict(int)
    if year is None:
        _member_rows(member, day, inside, figures)
        _liaison_rows(member, day, inside, figures, cells)
    else:
        _due_rows(member, year, day, inside, figures, cells)
    return figures, cells


def unknown_rows(
    members: Iterable[tuple[Sequence[Fact], Sequence[Fact]]], day: date, inside: set[str], year: int
) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]]]:
    """How much the facts recorded after a time change members' rows on `day` (of the figures
    without a year and of `year`'s assessments): for each member given as (every fact, the facts
    known at that time), their rows with every fact less their rows with those known."""
    figures: Counter[tuple[Any, ...]] = Counter()
    cells: Counter[tuple[Any, ...]] = Counter()
    for every, known in members:
        for facts, sign in ((every, 1), (known, -1)):
            if not facts:
                continue
            member = _Member(facts)
            for part in (None, year):
                more, more_cells = rows_at(member, day, inside, part)
                for into, rows in ((figures, more), (cells, more_cells)):
                    for key, n in rows.items():
                        into[key] += sign * n
    return figures, cells


def _cell_held(totals: Mapping[str, int], year: int | None) -> dict[str, bool]:
    """Which cell figures a cell counts in, by its row counts (attending rows: no year): attending
    while it has attending rows, assessing while it has rows due, assessed while none of those is
    owing."""
    due = year is not None and totals.get("due", 0) > 0
    return {
        "cells_attending": year is None and totals.get("attending", 0) > 0,
        "cells_assessing": due,
        "cells_assessed": due and not totals.get("owing", 0),
    }


def cells_counted(counts: Mapping[tuple[Any, ...], int]) -> Counter[tuple[Any, ...]]:
    """The cell figures that cells' row counts on one date make, given as (cell, row kind,
    year)."""
    totals: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for (cell, kind, year), n in counts.items():
        totals[cell, year][kind] = n
    out: Counter[tuple[Any, ...]] = Counter()
    for (_cell, year), held in totals.items():
        out.update((figure, None, year) for figure, on in _cell_held(held, year).items() if on)
    return out


def _within(f: Fact, inside: set[str]) -> bool:
    """`figures._IN`: the fact's residence or workplace lies in the subtree."""
    return f.unit in inside or f.workplace in inside


def _by(d: date | None, day: date) -> bool:
    """A fact's date `d` (if any) falls on or before `day`."""
    return d is not None and d <= day


def _member_rows(member: _Member, day: date, inside: set[str], figures: Counts) -> None:
    """In scope (`figures._IN_SCOPE`), late referrals, exempt from introduction."""
    late = not _by(member.referred, day) and not _by(member.exempted, day)
    in_scope = False
    for f, _ in member.of("registered"):
        if f.day > day:
            break
        if f.workplace in inside:
            in_scope = True
            if late and (f.due or f.day + timedelta(days=REFERRAL_DAYS)) < day:
                figures["referrals_late", None, None] += 1
    if not in_scope:
        for f, li in member.of("referred", "received_commune", "received_cell"):
            if f.day > day:
                break
            if _within(f, inside) and not li.closed_by(day):
                in_scope = True
                break
    if in_scope:
        figures["members_in_scope", None, None] += 1
    latest: Fact | None = None
    for f, _ in member.of("exempt_intro", "exempt_intro_lifted"):
        if f.day > day:
            break
        if _within(f, inside):
            latest = f
    if latest is not None and latest.kind == "exempt_intro":
        figures["exempt_from_introduction", latest.code, None] += 1


def _liaison_rows(
    member: _Member, day: date, inside: set[str], figures: Counts, cells: Counts
) -> None:
    """Awaiting receipt, cells attending, requests open and overdue, exempt from activities."""
    for f, li in member.of("referred"):
        if f.day > day:
            break
        if _within(f, inside) and not li.closed_by(day) and not _by(li.received_cell, day):
            figures["awaiting_receipt", None, None] += 1
    for f, li in member.of("received_cell"):
        if f.day > day:
            break
        if f.unit in inside and not li.closed_by(day) and not li.exempt_on(day):
            cells[f.unit, "attending", None] += 1
    for f, li in member.of("requested"):
        if f.day > day:
            break
        given = _by(li.provided.get(f.code), day)
        if _within(f, inside) and not li.closed_by(day) and not given:
            figures["requests_open", f.code, None] += 1
            if f.due is not None and f.due < day:
                figures["requests_overdue", f.code, None] += 1
    latest: dict[_Liaison, Fact] = {}
    for f, li in member.of("exempt_act", "exempt_act_lifted"):
        if f.day > day:
            break
        if _within(f, inside):
            latest[li] = f
    for li, f in latest.items():
        if f.kind == "exempt_act" and not li.closed_by(day):
            figures["exempt_from_activities", f.code, None] += 1


OVERDUE = "overdue"
"""The row kind of `fact_cell_step` that counts a unit's overdue assessments: the rows of the
`assessments_overdue` figure under the unit their list names (the residence unit, or the
workplace when the residence is outside the board's subtree), which the overdue chart adds up
per unit (`lists.breakdown`). A cell figure does not read it (`_cell_held`)."""


def _due_rows(
    member: _Member, year: int, day: date, inside: set[str], figures: Counts, cells: Counts
) -> None:
    """The year's assessments due (`figures._OWED`, `figures._DUE`) and the cells they name."""
    due: list[tuple[Fact, date | None, bool]] = []
    owing: set[tuple[_Liaison, int | None]] = set()
    for f, li in member.of(("assessment_due", year)):
        if f.day > day:
            break
        if _within(f, inside):
            by = day if f.due is None else min(day, f.due)
            if not li.closed_by(by) and not li.exempt_on(by):
                due.append((f, f.due, _by(li.assessed.get(f.year), day)))
                owing.add((li, f.year))
    for f, li in member.of(("assessed", year)):  # made though none was owed (received late…)
        if f.day > day:
            break
        if _within(f, inside) and (li, f.year) not in owing:
            due.append((f, None, True))
    for f, due_on, assessed in due:
        figures["assessments_due", None, f.year] += 1
        if not assessed:
            figures["assessments_outstanding", None, f.year] += 1
            if due_on is not None and due_on < day:
                figures["assessments_overdue", None, f.year] += 1
                # the unit its list names it under (`figures._ROW`): the board's overdue chart
                unit = f.unit if f.unit in inside else f.workplace
                cells[unit, OVERDUE, f.year] += 1
        if f.unit in inside:
            cells[f.unit, "due", f.year] += 1
            if not assessed:
                cells[f.unit, "owing", f.year] += 1


def _at(f: Fact) -> tuple[date, int]:
    return f.day, f.nid


def _breaks(facts: Sequence[Fact], year: Any = "all") -> set[date]:
    """The dates on which a member's rows may change, whatever the units: their facts' dates
    and the day after each due date (overdue from then on). Of the figures without a year
    (`year` None), of one year's assessments, or (by default) of all."""
    out: set[date] = set()
    for f in facts:
        if year is None and f.kind in _BY_YEAR:
            continue
        if year not in (None, "all") and not (
            f.kind in _LIAISON_DATES or (f.kind in _BY_YEAR and f.year == year)
        ):
            continue
        out.add(f.day)
        if f.kind in ("assessment_due", "requested") and f.due is not None:
            out.add(f.due + timedelta(days=1))
        elif f.kind == "registered":
            out.add((f.due or f.day + timedelta(days=REFERRAL_DAYS)) + timedelta(days=1))
    return out


def _holds(periods: Iterable[tuple[date, date | None]], day: date) -> bool:
    return any(since <= day and (until is None or day < until) for since, until in periods)


Steps = dict[tuple[Any, ...], int]
"""Signed steps: (key…, date) → by how much the count changes on that date."""


def member_steps(
    facts: Sequence[Fact],
    rolls: RollUp,
    sign: int = 1,
    parts: set[int | None] | None = None,
    into: tuple[Steps, Steps] | None = None,
) -> tuple[Steps, Steps]:
    """One member's part of each large unit's figures, as steps (times `sign`): by (ancestor,
    figure, code, year, date), and of each cell's row counts by (ancestor, cell, row kind,
    year, date). Only of the figures without a year (None in `parts`) and of the years in
    `parts`, if given. Added to the steps `into`, if given (a rebuild's sums, made of a few
    hundred thousand members' parts), and returned."""
    figure_steps, cell_steps = into if into is not None else ({}, {})
    if not facts:
        return figure_steps, cell_steps
    units = {u for f in facts for u in (f.unit, f.workplace) if u is not None}
    periods: dict[str, dict[str, tuple[tuple[date, date | None], ...]]] = defaultdict(dict)
    for unit in units:
        for ancestor, spans in rolls.get(unit, {}).items():
            periods[ancestor][unit] = spans
    member = _Member(facts)
    insides = {ancestor: _insides(held) for ancestor, held in periods.items()}
    for year in [None, *member.years]:
        if parts is None or year in parts:
            _part(member, year, _breaks(facts, year), insides, sign, (figure_steps, cell_steps))
    return figure_steps, cell_steps


def _parts(new: Sequence[Fact]) -> set[int | None] | None:
    """The parts of a member's rows that these new facts of theirs can change (None: all)."""
    out: set[int | None] = set()
    for f in new:
        if f.kind in _LIAISON_DATES:
            return None  # a closure or an exemption: every year's assessments too
        out.add(f.year if f.kind in _BY_YEAR else None)
    return out


Insides = list[tuple[date, frozenset[str]]]
"""From which date on which of a member's unit ids roll into a large unit, in date order."""


def _insides(held: Mapping[str, tuple[tuple[date, date | None], ...]]) -> Insides:
    bounds = sorted({d for spans in held.values() for span in spans for d in span if d})
    out: Insides = [(date.min, frozenset())]
    for day in bounds:
        inside = frozenset(u for u, spans in held.items() if _holds(spans, day))
        if inside != out[-1][1]:
            out.append((day, inside))
    return out


def _part(
    member: _Member,
    year: int | None,
    breaks: set[date],
    insides: Mapping[str, Insides],
    sign: int,
    into: tuple[Steps, Steps],
) -> None:
    """The steps of one part of a member's rows (`rows_at` of `year`), on each large unit.

    Before the part's first date no fact of it is seen: no rows, whatever the units."""
    if not breaks:
        return
    start = min(breaks)
    seen: dict[tuple[date, frozenset[str]], Rows] = {}
    nothing: Rows = ({}, {})
    alike: dict[tuple[tuple[date, frozenset[str]], ...], list[str]] = defaultdict(list)
    for ancestor, moves in insides.items():  # the same units inside on the same days: same steps
        alike[tuple(moves)].append(ancestor)
    for spans, ancestors in alike.items():
        days = sorted(breaks | {d for d, _ in spans if d > start})
        before = nothing
        i = 0
        for day in days:
            while i + 1 < len(spans) and spans[i + 1][0] <= day:
                i += 1
            at = day, spans[i][1]
            if at not in seen:  # the same units inside on the same day: the same rows
                seen[at] = rows_at(member, day, set(at[1]), year) if at[1] else nothing
            now = seen[at]
            for steps, was, rows in zip(into, before, now, strict=True):
                for key, change in _difference(was, rows):
                    n = sign * change
                    for ancestor in ancestors:
                        full = (ancestor, *key, day)
                        steps[full] = steps.get(full, 0) + n
            before = now


def _difference(before: Counts, now: Counts) -> list[tuple[Any, int]]:
    """What changed from one date's rows to the next: (key, by how many)."""
    changed = [(k, n - before.get(k, 0)) for k, n in now.items() if n != before.get(k, 0)]
    changed.extend((k, -n) for k, n in before.items() if n and k not in now)
    return changed


def _add(into: Steps, steps: Mapping[tuple[Any, ...], int]) -> None:
    for key, n in steps.items():
        into[key] = into.get(key, 0) + n


def cell_figures(cell_steps: Mapping[tuple[Any, ...], int], sign: int = 1) -> Steps:
    """The cell figures' steps (by ancestor, figure, code, year, date) made by cells' row counts
    given whole (every step of each (ancestor, cell) they name), by `_cell_held` on each date."""
    series: dict[tuple[Any, ...], dict[date, int]] = defaultdict(dict)
    for (ancestor, cell, kind, year, day), n in cell_steps.items():
        group = (ancestor, cell, None if kind == "attending" else year)
        series[group][day] = series[group].get(day, 0)  # every group's dates
        series[(*group, kind)][day] = series[(*group, kind)].get(day, 0) + n
    out: Steps = {}
    for group in [g for g in series if len(g) == 3]:
        ancestor, _cell, year = group
        totals = {kind: 0 for kind in ("attending", "due", "owing")}
        was = _cell_held(totals, year)
        for day in sorted(series[group]):
            for kind in totals:
                totals[kind] += series.get((*group, kind), {}).get(day, 0)
            now = _cell_held(totals, year)
            for figure, held in now.items():
                if held != was[figure]:
                    key = (ancestor, figure, None, year, day)
                    out[key] = out.get(key, 0) + sign * (1 if held else -1)
            was = now
    return out


def _members(rows: Iterable[Sequence[Any]]) -> Iterator[list[Sequence[Any]]]:
    """Fact rows in member order, a member's at a time."""
    member: Any = object()
    batch: list[Sequence[Any]] = []
    for row in rows:
        if row[2] != member:
            if batch:
                yield batch
            member, batch = row[2], []
        batch.append(row)
    if batch:
        yield batch


def _grouped(rows: Iterable[Sequence[Any]]) -> Iterator[list[Fact]]:
    """Facts in member order, a member's at a time."""
    for batch in _members(rows):
        yield [Fact(*row) for row in batch]


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


CHUNK_MEMBERS = 500
"""Members a rebuild hands a worker at a time."""
SPREAD_FROM = 10
"""Chunks a rebuild folds in its own process before it starts workers (`projections.cores`): a
small store's steps are built before a worker would have started."""


@dataclass(eq=False)
class _Part:
    """The steps of some members, as a rebuild's process (or a worker) folds them."""

    rolls: RollUp
    figures: Steps = field(default_factory=dict)
    cells: Steps = field(default_factory=dict)

    def fold(self, members: Iterable[Sequence[Sequence[Any]]]) -> None:
        for rows in members:
            member_steps([Fact(*row) for row in rows], self.rolls, into=(self.figures, self.cells))


STEP_COLUMNS = {
    "ancestor_id": "text", "figure": "text", "code": "text", "year": "int4", "on_date": "date",
    "n": "int4",
}  # fmt: skip
CELL_STEP_COLUMNS = {
    "ancestor_id": "text", "unit_id": "text", "figure": "text", "year": "int4", "on_date": "date",
    "n": "int4",
}  # fmt: skip


def _stored_keys(keys: Iterable[tuple[str, str, int | None]]) -> list[tuple[str, str, int]]:
    """(ancestor, cell, year) as `fact_cell_step` stores them."""
    return [(a, c, y or 0) for a, c, y in keys]


class Standing(Derived):
    """Keeps `fact_step` and `fact_cell_step` (table names given by the model) with its facts;
    until they are built a board counts the state figures from the facts."""

    state: ClassVar[str] = "fact_step_state"
    column: ClassVar[str] = "stepped_to"

    def save(
        self,
        cur: Cursor,
        tables: Mapping[str, str],
        position: int,
        batch: tuple[int, int],
        members: set[Any],
        rolls: tuple[RollUp, RollUp],
        moved: Sequence[str],
    ) -> None:
        """After the facts of the batch (`first`, `last`) are written: take the part of the
        batch's members (and of those with facts in the `moved` unit ids) as it was under the
        old roll-up out, and add their part now; `rolls` is (before, now)."""
        first, last = batch
        if self.behind(cur, tables, position):
            self.rebuild(cur, tables, position, rolls[0])
        if moved:
            cur.execute(
                f"SELECT DISTINCT member_id FROM {tables['fact']} WHERE member_id IS NOT NULL"
                " AND (unit_id = ANY(%s) OR workplace_id = ANY(%s))",
                (list(moved), list(moved)),
            )
            members = members | {r["member_id"] for r in cur.fetchall()}
        members.discard(None)
        if members:
            cur.execute(
                FACT_SELECT.format(table=tables["fact"])
                + " WHERE member_id = ANY(%s) AND kind = ANY(%s) ORDER BY member_id",
                (list(members), list(STANDING_KINDS)),
            )
            figure_steps: Steps = {}
            cell_steps: Steps = {}
            for facts in _grouped(tuple(r.values()) for r in cur.fetchall()):
                parts = _parts([f for f in facts if f.nid >= first]) if not moved else None
                for sign, roll, held in ((-1, rolls[0], [f for f in facts if f.nid < first]),
                                         (1, rolls[1], facts)):  # fmt: skip
                    member_steps(held, roll, sign, parts, into=(figure_steps, cell_steps))
            _add(figure_steps, self._cells(cur, tables, cell_steps))
            upsert(cur, tables["fact_step"], STEP_COLUMNS, figure_steps)
            upsert(cur, tables["fact_cell_step"], CELL_STEP_COLUMNS, cell_steps)
        self.reached(cur, tables, last)

    def _cells(self, cur: Cursor, tables: Mapping[str, str], changes: Steps) -> Steps:
        """The cell figures' steps that these changes to cells' row counts make."""
        touched = sorted({(k[0], k[1], k[3]) for k, n in changes.items() if n}, key=str)
        if not touched:
            return {}
        cur.execute(  # each touched cell's whole series of that year (attending: no year)
            f"SELECT s.ancestor_id, s.unit_id, s.figure, s.year, s.on_date, s.n"
            f" FROM {tables['fact_cell_step']} s"
            " JOIN unnest(%s::text[], %s::text[], %s::int[]) AS t (ancestor_id, unit_id, year)"
            " ON s.ancestor_id = t.ancestor_id AND s.unit_id = t.unit_id"
            " AND s.year = t.year",
            tuple(list(column) for column in zip(*_stored_keys(touched), strict=True)),
        )
        before = {
            (r["ancestor_id"], r["unit_id"], r["figure"], r["year"] or None, r["on_date"]): r["n"]
            for r in cur.fetchall()
        }
        after = dict(before)
        _add(after, {k: n for k, n in changes.items() if n})
        out = cell_figures(after)
        _add(out, cell_figures(before, -1))
        return out

    def rebuild(
        self,
        cur: Cursor,
        tables: Mapping[str, str],
        upto: int,
        rolls: RollUp,
        workers: int | None = None,
        counted: Callable[[], object] | None = None,
    ) -> None:
        """Count every member's part again from the facts up to event `upto`: a large store's
        members on every core (`projections.cores`; `workers` processes if given). `counted` is
        called once the parts are: what is left (their sum and its COPY) is one core's work,
        and the caller may start other work beside it."""
        cur.execute(f"TRUNCATE {tables['fact_step']}, {tables['fact_cell_step']}")
        with cur.connection.cursor(name="standing_rebuild", row_factory=tuple_row) as read:
            read.itersize = 20_000
            read.execute(  # the ids as text: a worker's chunk is pickled, a uuid slowly
                FACT_SELECT.replace(
                    "member_id, liaison_id", "member_id::text, liaison_id::text"
                ).format(table=tables["fact"])
                + " WHERE kind = ANY(%s) AND member_id IS NOT NULL AND notification_id <= %s"
                f" ORDER BY {tables['fact']}.member_id",
                (list(STANDING_KINDS), upto),
            )
            with Cores(partial(_Part, rolls), _Part.fold, SPREAD_FROM, workers) as cores:
                cores.add(_chunks(_members(read), CHUNK_MEMBERS))
                parts = cores.states()
        if counted is not None:
            counted()
        figure_steps, cell_steps = parts[0].figures, parts[0].cells
        for part in parts[1:]:
            _add(figure_steps, part.figures)
            _add(cell_steps, part.cells)
        _add(figure_steps, cell_figures(cell_steps))
        made = (("fact_step", STEP_COLUMNS, figure_steps),
                ("fact_cell_step", CELL_STEP_COLUMNS, cell_steps))  # fmt: skip
        for table, columns, steps in made:  # the tables are empty: no upsert
            copy_rows(
                cur, tables[table], columns, (_stored(columns, k, n) for k, n in steps.items() if n)
            )
        self.reached(cur, tables, upto)


NONE = {"text": "", "int4": 0}
"""How the tables store a step without a code or a year (so that a key is found by equality)."""


def _stored(columns: Mapping[str, str], key: tuple[Any, ...], n: int) -> tuple[Any, ...]:
    return (*(NONE[t] if v is None else v for v, t in zip(key, columns.values(), strict=False)), n)


def upsert(cur: Cursor, table: str, columns: Mapping[str, str], steps: Steps) -> None:
    """Add the steps to the table's rows (COPY to a scratch table, one upsert); rows that fall
    to zero go."""
    changes = [_stored(columns, key, n) for key, n in steps.items() if n]
    if not changes:
        return
    names = ", ".join(columns)
    keys = ", ".join(list(columns)[:-1])
    cur.execute(
        f"CREATE TEMPORARY TABLE step_change ({', '.join(f'{c} {t}' for c, t in columns.items())})"
        " ON COMMIT DROP"
    )
    copy_rows(cur, "step_change", columns, changes)
    cur.execute(
        f"INSERT INTO {table} AS t ({names}) SELECT {names} FROM step_change"
        f" ON CONFLICT ({keys}) DO UPDATE SET n = t.n + excluded.n"
    )
    cur.execute(  # a count brought back to zero: no step
        f"DELETE FROM {table} t USING step_change c WHERE t.n = 0"
        f" AND ({', '.join(f't.{k}' for k in list(columns)[:-1])})"
        f" = ({', '.join(f'c.{k}' for k in list(columns)[:-1])})"
    )
    cur.execute("DROP TABLE step_change")


def ddl(steps: str, cell_steps: str, state: str) -> list[str]:
    """The tables: the figures' steps, the cells' row counts' steps, the event counted up to."""
    return [
        f"CREATE TABLE IF NOT EXISTS {steps} (ancestor_id text NOT NULL, figure text NOT NULL,"
        " code text NOT NULL, year int NOT NULL, on_date date NOT NULL, n int NOT NULL,"
        " PRIMARY KEY (ancestor_id, figure, code, year, on_date))",
        f"CREATE TABLE IF NOT EXISTS {cell_steps} (ancestor_id text NOT NULL,"
        " unit_id text NOT NULL, figure text NOT NULL, year int NOT NULL, on_date date NOT NULL,"
        " n int NOT NULL, PRIMARY KEY (ancestor_id, unit_id, figure, year, on_date))",
        # The overdue chart's rows alone (`OVERDUE_BY_UNIT`): a few thousand among millions.
        f"CREATE INDEX IF NOT EXISTS {cell_steps}_overdue ON {cell_steps} (ancestor_id, year,"
        f" on_date) INCLUDE (unit_id, n) WHERE figure = '{OVERDUE}'",
        f"CREATE TABLE IF NOT EXISTS {state} (stepped_to bigint NOT NULL)",
    ]


STEPPED = (
    "SELECT s.figure, nullif(s.code, '') AS code, sum(s.n)::int8 AS n FROM fact_step s"
    " WHERE s.ancestor_id = $6 AND s.on_date <= $3 AND s.year IN (0, $5) GROUP BY s.figure, s.code"
    " HAVING sum(s.n) <> 0"
)
"""The state figures of ancestor $6 on the as-of date $3 for the year $5."""
RECORDED_AFTER = (
    "SELECT f.member_id FROM fact f WHERE f.kind = ANY($1::text[])"
    " AND f.recorded_at > $2 AND f.effective_date <= $3 AND f.member_id IS NOT NULL LIMIT $4"
)
"""The members of the facts ($4 at most) of the state figures recorded after $2 and effective by
$3: those whose rows on $3 a known-at time $2 may change (`unknown_rows`). Not DISTINCT: the
scan stops at $4 facts, where a distinct set would read every one when there are many."""
RECORDED_AFTER_COUNT = f"SELECT count(*) FROM ({RECORDED_AFTER}) s"
"""How many of those facts there are, counted no further than $4: a board that finds too many
to correct its steps by learns it without fetching them (at the middle of an import, 50,001
member ids a period)."""
RECORDED_AFTER_INSIDE = (
    "SELECT i.member_id FROM (SELECT DISTINCT s.member_id FROM fact s"
    " WHERE s.kind = ANY($1::text[]) AND s.member_id IS NOT NULL"
    " AND (s.unit_id = ANY($5::text[]) OR s.workplace_id = ANY($5::text[]))) i"
    " WHERE EXISTS (SELECT FROM fact f WHERE f.member_id = i.member_id"
    " AND f.kind = ANY($1::text[]) AND f.recorded_at > $2 AND f.effective_date <= $3) LIMIT $4"
)
"""The same members ($4 at most, each once), of those alone with a fact of the state figures in
the unit ids $5: every row of a unit's figures names a fact of its subtree (`rows_at`), so a
member without one counts nothing there, known then or now. The subtree's members are found
through the unit indexes and each looked up by member: for a commune, a few thousand rows
whatever was recorded elsewhere after the time."""
MEMBERS_FACTS = (
    FACT_SELECT.replace(" FROM {table}", ", recorded_at <= $3 AS known FROM fact")
    + " WHERE member_id = ANY($1::uuid[]) AND kind = ANY($2::text[]) ORDER BY member_id"
)
"""The members' facts of the state figures, each with whether it was recorded by $3."""
OVERDUE_BY_UNIT = (
    "SELECT s.unit_id, sum(s.n)::int8 AS n FROM fact_cell_step s WHERE s.ancestor_id = $1"
    f" AND s.figure = '{OVERDUE}' AND s.year = $2 AND s.on_date <= $3 GROUP BY s.unit_id"
    " HAVING sum(s.n) <> 0 ORDER BY s.unit_id"
)
"""The `assessments_overdue` rows of ancestor $1, year $2, on $3, by the unit each row names."""
CELL_COUNTS = (
    "SELECT s.unit_id, s.figure, nullif(s.year, 0) AS year, sum(s.n)::int8 AS n"
    " FROM fact_cell_step s JOIN unnest($3::text[], $4::int[]) AS c (unit_id, year)"
    " ON s.unit_id = c.unit_id AND s.year = c.year"
    " WHERE s.ancestor_id = $1 AND s.on_date <= $2 GROUP BY s.unit_id, s.figure, s.year"
)
"""The row counts on $2 of ancestor $1's cells $3, of the years $4 (0: attending)."""
