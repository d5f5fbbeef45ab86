"""Branch dashboard for a unit's subtree, any year, as of any date and known-at time (asyncpg)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from domain.calendar import in_vietnam
from domain.errors import UnknownUnit
from domain.organisation import not_in_force
from domain.policy import policy_in_force
from domain.state import Attendance
from projections import standing
from projections.ancestry import subtree
from projections.figures import (
    COUNTS,
    KNOWN_COUNTS,
    SCOPE,
    SMALL_SUBTREE,
    STEPPED_COUNTS,
    TALLIED_BOARD,
    TALLIED_COUNTS,
    TALLIED_UNIT,
    TREE_UNITS,
    for_subtree,
    within,
)

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    """What a board asks: the unit, the year, the as-of date, and what was known at a time."""

    unit_id: str
    as_of: date
    known_at: datetime | None = None
    year: int | None = None

    def __post_init__(self) -> None:
        if self.known_at is not None:  # a time typed without a zone is Vietnam's, not UTC
            object.__setattr__(self, "known_at", in_vietnam(self.known_at))

    @property
    def the_year(self) -> int:
        """The year reported (the as-of date's year unless given)."""
        return self.year or self.as_of.year

    @property
    def end(self) -> date:
        """The last day counted: the as-of date, within the year."""
        return min(self.as_of, date(self.the_year, 12, 31))

    @property
    def start(self) -> date:
        """The first day of the year."""
        return date(self.the_year, 1, 1)

    def previous_year(self) -> Period:
        """The same period of the year before."""
        end = self.end
        day = end.replace(year=end.year - 1, day=min(end.day, 28 if end.month == 2 else end.day))
        return Period(self.unit_id, day, self.known_at, self.the_year - 1)

    def args(self, units: list[str] | str) -> tuple[Any, ...]:
        """The SQL parameters $1..$5 of `projections.figures` (the subtree's unit ids, or the
        board's unit id for a statement that works them out)."""
        return (units, self.start, self.end, self.known_at or FAR_FUTURE, self.the_year)


@dataclass
class Figures:
    """The numbers of one period; `counts[figure][code]` is the count behind each number."""

    period: Period
    counts: dict[str, dict[str | None, int]] = field(default_factory=dict)

    def total(self, figure: str) -> int:
        """The count of a figure over all codes."""
        return sum(self.counts.get(figure, {}).values())

    def by_code(self, figure: str) -> dict[str, int]:
        """A figure broken down by code (reason, grade, attendance)."""
        return {str(k): v for k, v in sorted(self.counts.get(figure, {}).items(), key=str)}

    def summary(self) -> dict[str, Any]:
        """The board's figures as plain values (what the CLI prints and evidence keeps)."""
        attendance = self.by_code("attendance")
        marked = sum(attendance.values())
        present = attendance.get(Attendance.PRESENT.value, 0)
        interval = policy_in_force(self.period.end).deadlines.meeting_interval_months
        months = (
            12
            if self.period.end.month == 12 and self.period.end.day == 31
            else self.period.end.month
        )
        grades = self.by_code("assessments_returned")
        returned = sum(grades.values())
        return {
            "unit_id": self.period.unit_id,
            "year": self.period.the_year,
            "as_of": self.period.end.isoformat(),
            "known_at": self.period.known_at.isoformat() if self.period.known_at else None,
            "members_in_scope": self.total("members_in_scope"),
            "referred": self.total("referred"),
            "received_commune": self.total("received_commune"),
            "received_cell": self.total("received_cell"),
            "awaiting_receipt": self.total("awaiting_receipt"),
            "referrals_late": self.total("referrals_late"),
            "exempt_from_introduction": self.by_code("exempt_from_introduction"),
            "exempt_from_activities": self.by_code("exempt_from_activities"),
            "meetings_held": self.total("meetings_held"),
            "meetings_expected": self.total("cells_attending") * max(1, months // interval),
            "attendance": attendance,
            "attendance_rate": round(present / marked, 4) if marked else None,
            "assessments_due": self.total("assessments_due"),
            "assessments_returned": returned,
            "assessments_late": self.total("assessments_late"),
            "assessments_overdue": self.total("assessments_overdue"),
            "assessments_outstanding": self.total("assessments_outstanding"),
            "grades": {
                code: {
                    "label": _grade_label(code),
                    "count": n,
                    "percent": round(100 * n / returned, 2),
                }
                for code, n in grades.items()
            },
            "reported_back": self.total("reported_back"),
            "requests_open": self.total("requests_open"),
            "requests_overdue": self.total("requests_overdue"),
            "escalations_open": self.total("escalations_open"),
            "proposals": self.by_code("proposals"),
            "cells_assessing": self.total("cells_assessing"),
            "cells_assessed": self.total("cells_assessed"),
        }


EVIDENCE_GRADE_LABELS: dict[str, str] = {
    "good": "Tốt",
    "fair": "Khá",
    "average": "Trung bình",
    "poor": "Chưa tốt",
    "fulfilled_well": "Thực hiện tốt",
    "not_fulfilled_well": "Thực hiện chưa tốt",
}
"""The grade names the figures carry in Vietnamese, fixed: exported evidence files hold them and
`liaison verify --evidence` compares them. People see grades by the catalogue's labels."""


def _grade_label(code: str) -> str:
    return EVIDENCE_GRADE_LABELS.get(code, code)


async def scope(conn: Any, unit_id: str, on: date) -> list[str]:
    """The unit ids rolling into `unit_id` as in force on that date; refuses an unknown unit."""
    units = [r["unit_id"] for r in await conn.fetch(SCOPE, unit_id, on)]
    if not units:
        raise not_in_force(unit_id, on)
    return units


_SIZE = f"SELECT count(*) FROM ({subtree()} LIMIT $3) s"


async def scope_size(conn: Any, unit_id: str, on: date, most: int) -> int:
    """How many units roll into `unit_id` as in force on that date, counted no further than
    `most` + 1 (enough to choose a statement's form, where fetching a province's ids to send
    them back would cost more than the statement); refuses an unknown unit."""
    size = int(await conn.fetchval(_SIZE, unit_id, on, most + 1))
    if not size:
        raise not_in_force(unit_id, on)
    return size


async def subtree_sql(conn: Any, query: str, units: list[str]) -> str:
    """`for_subtree` of the query, with the tree's size read when it can make a difference."""
    tree = int(await conn.fetchval(TREE_UNITS)) if len(units) > SMALL_SUBTREE else 0
    return for_subtree(query, units, tree=tree)


MembersFacts = dict[Any, list[Any]]
"""Members' facts of the state figures as known at one time, by member (`standing.MEMBERS_FACTS`
rows): read once for the periods of one inspection that ask for the same members."""


async def figures(conn: Any, period: Period, read: MembersFacts | None = None) -> Figures:
    """Every figure of the period for the unit's subtree, in one query: for a large unit the
    one-fact figures from its tally and the state figures from its steps when they are kept
    (as known at a time: less what was recorded after it, when that is little). `read` holds
    the members' facts already read as known at the period's time (and gets those read here)."""
    result = Figures(period)
    for figure, code, n in await _counts(conn, period, {} if read is None else read):
        by_code = result.counts.setdefault(figure, {})
        by_code[code] = by_code.get(code, 0) + int(n)
        if not by_code[code]:  # counted, then taken out (recorded after the known-at time)
            del by_code[code]
    return result


async def _counts(conn: Any, period: Period, read: MembersFacts) -> list[tuple[str, Any, int]]:
    """The period's counts as (figure, code, n); a figure and code may come more than once. A
    tallied unit's board as things stand is one statement that finds the subtree's units itself
    (`figures.within`); the others are sent them."""
    effective = period.known_at is None
    tally = TALLIED_BOARD if effective else TALLIED_UNIT  # (the subtree's counts, for `within`)
    tallied = await conn.fetchrow(tally, period.unit_id, period.end)
    if tallied is not None and effective:
        query = STEPPED_COUNTS if tallied["stepped"] else TALLIED_COUNTS
        sql = within(query, tallied["units"], tallied["tree"])
        args = period.args(period.unit_id)
        return [tuple(r) for r in await conn.fetch(sql, *args, *_tally_of(tallied))]
    units = await scope(conn, period.unit_id, period.end)

    async def fetch(query: str, *args: Any) -> list[tuple[str, Any, int]]:
        return [tuple(r) for r in await conn.fetch(await subtree_sql(conn, query, units), *args)]

    if tallied is None:
        return await fetch(COUNTS, *period.args(units))
    args = (*period.args(units), *_tally_of(tallied))
    unknown = None
    if tallied["stepped"]:
        unknown = await _recorded_after(conn, period, set(units), tallied["ancestor_id"], read)
    if unknown is None:  # the tally and steps cannot say what was known then: count the facts
        return await fetch(COUNTS, *period.args(units))
    taken = [(figure, code, -n) for (figure, code, _), n in unknown.items()]
    return [*await fetch(KNOWN_COUNTS, *args), *taken]


def _tally_of(tallied: Any) -> tuple[str, int]:
    """The parameters $6 and $7 of a tallied unit's statements (`projections.figures`)."""
    return tallied["ancestor_id"], tallied["tallied_to"]


KNOWN_AT_MEMBERS = 2_000
KNOWN_AT_FACTS = 50_000
"""A known-at board reads a large unit's steps when at most this many members, and facts, were
recorded after the time and effective by the date (the members' rows are worked out again: a
province's board, the year and the year before, took 0.42 s with 811 such members and 1.03 s
with 2,508, where counting from the facts took 2.6–2.8 s at 150,000 members and grows with the
store); with more (an import after the time, a year typed in late) it counts from the facts."""
KNOWN_AT_UNITS = 1_000
"""Up to this many unit ids (a commune, however many cells it has) a known-at board asks which
of its own members had records after the time (`standing.RECORDED_AFTER_INSIDE`), so that what
was recorded in the rest of the province does not count against `KNOWN_AT_MEMBERS`; above it (a
district, the province, where most members are its own) it takes the first members recorded
after the time anywhere, stopping at `KNOWN_AT_FACTS` facts."""


async def _recorded_after(
    conn: Any, period: Period, inside: set[str], ancestor: str, read: MembersFacts
) -> Counter[tuple[Any, ...]] | None:
    """How much the records made after the known-at time change the steps' state figures of
    the period (by figure, code, year); None if too many members have such records."""
    kinds = list(standing.STANDING_KINDS)
    if len(inside) <= KNOWN_AT_UNITS:
        late = await conn.fetch(
            standing.RECORDED_AFTER_INSIDE, kinds, period.known_at, period.end,
            KNOWN_AT_MEMBERS + 1, list(inside),
        )  # fmt: skip
        too_many = False  # each member once: counted below
    else:
        args = (kinds, period.known_at, period.end, KNOWN_AT_FACTS + 1)
        if await conn.fetchval(standing.RECORDED_AFTER_COUNT, *args) > KNOWN_AT_FACTS:
            return None
        late = await conn.fetch(standing.RECORDED_AFTER, *args)
        too_many = len(late) > KNOWN_AT_FACTS  # recorded since the count
    ids = {r[0] for r in late}
    if too_many or len(ids) > KNOWN_AT_MEMBERS:
        return None
    if not ids:
        return Counter()
    unread = [i for i in ids if i not in read]
    if unread:
        for i in unread:
            read[i] = []
        for r in await conn.fetch(standing.MEMBERS_FACTS, unread, kinds, period.known_at):
            read[r["member_id"]].append(r)
    members: dict[Any, tuple[list[standing.Fact], list[standing.Fact]]] = {}
    for i in ids:
        for r in read[i]:
            fact = standing.Fact(*tuple(r)[:-1])
            every, known = members.setdefault(fact.member, ([], []))
            every.append(fact)
            if r["known"]:
                known.append(fact)
    year = period.the_year
    changed, cells = standing.unknown_rows(members.values(), period.end, inside, year)
    touched = sorted({(cell, 0 if y is None else y) for (cell, _, y), n in cells.items() if n})
    if touched:
        counted = await conn.fetch(
            standing.CELL_COUNTS, ancestor, period.end, *map(list, zip(*touched, strict=True))
        )
        base = {(r["unit_id"], r["figure"], r["year"]): int(r["n"]) for r in counted}
        keys = base.keys() | {k for k, n in cells.items() if n}
        changed.update(standing.cells_counted(base))
        changed.subtract(standing.cells_counted({k: base.get(k, 0) - cells[k] for k in keys}))
    return changed


async def dashboard(conn: Any, period: Period, other: Any = None) -> dict[str, Any]:
    """The period's figures beside the same period of the previous year, as known at the same
    time. On one connection the members' facts read for one year are not read again for the
    other; given a second connection (`other`), the two years are read at once, one on each (as
    the board's statistics page reads them: a province as known at the middle of an import
    counts both years from the facts, a second or more each)."""
    if other is None:
        read: MembersFacts = {}
        now = await figures(conn, period, read)
        return {"current": now.summary(), "previous_year": await _year_before(conn, period, read)}
    both = await asyncio.gather(
        figures(conn, period, {}), _year_before(other, period, {}), return_exceptions=True
    )
    for outcome in both:  # each read ran to its end: neither connection is left mid-statement
        if isinstance(outcome, BaseException):
            raise outcome
    found, before = both
    assert isinstance(found, Figures)
    return {"current": found.summary(), "previous_year": before}


async def _year_before(conn: Any, period: Period, read: MembersFacts) -> dict[str, Any] | None:
    """The summary of the same period a year earlier; None where the unit was not in force."""
    try:
        return (await figures(conn, period.previous_year(), read)).summary()
    except UnknownUnit:
        return None


def difference(later: dict[str, Any], earlier: dict[str, Any]) -> dict[str, Any]:
    """Numeric figures of `later` minus those of `earlier` (for comparing two dates)."""
    return {
        k: v - earlier[k]
        for k, v in later.items()
        if isinstance(v, int) and isinstance(earlier.get(k), int) and not isinstance(v, bool)
    }
