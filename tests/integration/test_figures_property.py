"""Property: on generated histories, every board figure equals the length of its list, and the
figures keep the identities that follow from their definitions.

Hypothesis draws a few members across two workplace committees (one with a cell of its own) and
three communes (two under a former district) with their cells, and takes each through a
generated history over 2025 and 2026: referred, received by the commune and the cell, meetings,
exempt from introduction or activities and lifted, cycles opened, assessed, confirmed, reported
back, asked for an assessment and answered, proposed for commendation or discipline, escalated,
closed (some with a successor referral).
The history runs through `LiaisonOffice` on real PostgreSQL, the projector folds it in, and the
board's read side (`ProjectionReads`, as the board and the API read) answers for every unit on a
few dates, each beside the same date of the year before.

Identities checked on each board (lists compared as sets of liaisons):
- due = assessed + not yet assessed, the two disjoint ("Phải nhận xét = Đã nhận xét + Chưa được
  đánh giá"): a year's assessment is due by the rules or because the cell made it;
- overdue ⊆ not yet assessed, and on 31 December (after the default due date, 15 December)
  overdue = not yet assessed;
- reported back ⊆ assessed (a result goes back only after its assessment);
- requests overdue ⊆ requests open;
- the grades add up to the assessed, the proposals' kinds to the proposals (each kind's count is
  its rows');
- the cells with members to assess are the subtree's cells of the assessments due, and the cells
  that assessed all their members are those of them with no assessment outstanding (Nghệ An's
  "cells that assessed their 213 members, of all cells"); the province's cells are the sum of its
  communes', a district's of its two, a workplace counts none;
- members awaiting receipt and members exempt from activities are members in scope;
- referred ≥ received by the commune ≥ received by the cell, counted over both whole years (the
  boards of 31 December), for every board but a residence cell's (a referral names the commune,
  not yet the cell);
- a liaison counts once on the province's board whether seen from the residence side (the sum
  of its communes) or the workplace side (the sum of its workplace committees); a former
  district's figures are the sum of its communes'; a workplace committee's lists hold its cell's;
- every member registered is in the province's scope, and every member listed shows a stage.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from api.reads import Figures, Metric, Row, Scope
from api.reads_projections import ProjectionReads
from application.office import LiaisonOffice
from domain import commands as c
from domain.errors import Refused
from domain.escalation import Step, TakeStep
from domain.meeting import AttendanceEntry
from domain.organisation import Unit, UnitKind
from domain.roles import Actor, Role
from domain.state import Attendance, ClosingReason
from projections.catalog import all_models
from projections.runner import Projector
from tests.conftest import isolated_schema
from workers.bootstrap import persistence_env

NOW = datetime(2027, 1, 20, tzinfo=UTC)
FIRST, LAST = date(2025, 1, 2), date(2026, 12, 31)
ADMIN = Actor(id="admin", role=Role.ADMINISTRATOR, unit_id="P")
BOARD = Actor(id="board", role=Role.SUPERVISOR, unit_id="P")
FRONT = "Trần Thị Bình (Ban công tác Mặt trận)"

TREE = (
    ("P", UnitKind.PROVINCIAL_COMMITTEE, None),
    ("W1", UnitKind.WORKPLACE_COMMITTEE, "P"),
    ("W1-C", UnitKind.WORKPLACE_CELL, "W1"),
    ("W2", UnitKind.WORKPLACE_CELL, "P"),
    ("D", UnitKind.DISTRICT_COMMITTEE, "P"),
    ("X1", UnitKind.COMMUNE_COMMITTEE, "D"),
    ("X2", UnitKind.COMMUNE_COMMITTEE, "D"),
    ("X3", UnitKind.COMMUNE_COMMITTEE, "P"),
    ("X1-A", UnitKind.RESIDENCE_CELL, "X1"),
    ("X2-A", UnitKind.RESIDENCE_CELL, "X2"),
    ("X3-A", UnitKind.RESIDENCE_CELL, "X3"),
    ("X3-B", UnitKind.RESIDENCE_CELL, "X3"),
)
CELLS = {"X1": ("X1-A",), "X2": ("X2-A",), "X3": ("X3-A", "X3-B")}
WORKPLACES = ("W1", "W1-C", "W2")
UNITS = tuple(u for u, _, _ in TREE)
DATES = (date(2026, 6, 30), date(2026, 11, 20), date(2026, 12, 16), date(2026, 12, 31))
"""The boards' dates (one per example); each is also read as the same date of 2025, the year
before."""

MEMBER_FIGURES = (Metric.IN_SCOPE, Metric.EXEMPT_INTRODUCTION, Metric.REFERRALS_LATE)
"""Figures that count members (some have no liaison yet), under their workplace."""

CELL_FIGURES = (Metric.CELLS_ASSESSING, Metric.CELLS_ASSESSED)
"""Figures that count residence cells, under the cells' communes."""

LIAISON_FIGURES = tuple(m for m in Metric if m not in MEMBER_FIGURES + CELL_FIGURES)
"""Figures that count liaisons, each under one residence unit and one workplace."""

STEPS = (
    "exempt_intro", "lift_intro", "exempt_act", "lift_act", "request", "provide", "assess",
    "assess", "open_cycle", "escalate", "close", "move", "propose",
)  # fmt: skip


def _day(start: date, end: date) -> st.SearchStrategy[date]:
    return st.integers(0, (end - start).days).map(lambda n: start + timedelta(days=n))


@st.composite
def _member(draw: st.DrawFn) -> list[tuple[date, str, Any]]:
    """One member's plan: (date, step, argument), in the order they are to be tried."""
    commune = draw(st.sampled_from(sorted(CELLS)))
    plan: list[tuple[date, str, Any]] = [(FIRST, "register", draw(st.sampled_from(WORKPLACES)))]
    referred = draw(_day(FIRST, date(2026, 11, 30)))
    if draw(st.integers(0, 5)):  # some members are never referred
        plan.append((referred, "refer", commune))
    day = referred
    for step in ("receive_commune", "receive_cell"):
        if not draw(st.integers(0, 4)):
            break
        day += timedelta(days=draw(st.integers(0, 45)))
        plan.append((day, step, draw(st.sampled_from(CELLS[commune]))))
    for step in draw(st.lists(st.sampled_from(STEPS), max_size=6)):
        if step == "assess":  # then perhaps confirmed, then perhaps reported back
            year = draw(st.sampled_from([y for y in (2025, 2026) if y >= referred.year]))
            day = draw(_day(date(year, 10, 20), date(year, 12, 20)))
            for then in ("assess", "confirm", "report")[: draw(st.integers(1, 3))]:
                plan.append((day, then, year))
                day += timedelta(days=draw(st.integers(0, 5)))
        elif step == "open_cycle":
            plan.append((draw(_day(date(2026, 1, 2), date(2026, 2, 28))), step, 2026))
        elif step in ("exempt_intro", "lift_intro"):
            plan.append((draw(_day(FIRST, LAST)), step, None))
        else:
            plan.append((draw(_day(referred, LAST)), step, draw(st.sampled_from(sorted(CELLS)))))
    return plan


@st.composite
def histories(draw: st.DrawFn) -> tuple[Any, ...]:
    """A few members' plans, the cells' meetings, and the date the boards are read on."""
    members = draw(st.lists(_member(), min_size=2, max_size=5))
    cells = [cell for group in CELLS.values() for cell in group]
    meetings = draw(
        st.lists(st.tuples(_day(FIRST, LAST), st.sampled_from(cells)), max_size=4, unique=True)
    )
    return members, meetings, draw(st.sampled_from(DATES))


def _by(day: date, actor: Actor = BOARD) -> dict[str, Any]:
    return {"command_id": uuid4(), "actor": actor, "effective_date": day}


@dataclass
class Run:
    """Executes a generated history; refused steps (a receipt before its referral…) are skipped."""

    office: LiaisonOffice
    member: dict[int, UUID] = field(default_factory=dict)
    liaison: dict[int, UUID] = field(default_factory=dict)
    request: dict[int, UUID] = field(default_factory=dict)
    attendance: Any = field(default_factory=count)

    def step(self, n: int, day: date, step: str, arg: Any) -> None:
        o, li = self.office, self.liaison.get(n)
        if step == "register":
            self.member[n] = o.execute(
                c.RegisterMember(
                    **_by(day), name=f"Đảng viên {n}", birth_date=date(1980, 1, 1),
                    party_card_number=f"{n + 1:08d}", workplace_unit_id=arg,
                )
            ).member_id  # type: ignore[assignment]  # fmt: skip
        elif step == "refer":
            self.liaison[n] = o.execute(
                c.Refer(**_by(day), member_id=self.member[n],
                        referral=c.Referral(residence_commune_id=arg))
            ).liaison_id  # type: ignore[assignment]  # fmt: skip
        elif step == "exempt_intro":
            o.execute(c.ExemptFromIntroduction(**_by(day), member_id=self.member[n],
                                               reason="secret_mission"))  # fmt: skip
        elif step == "lift_intro":
            o.execute(c.LiftIntroductionExemption(**_by(day), member_id=self.member[n]))
        elif li is None:
            return
        elif step == "receive_commune":
            o.execute(c.ReceiveAtCommune(**_by(day), liaison_id=li, cell_id=arg))
        elif step == "receive_cell":
            o.execute(c.ReceiveAtCell(**_by(day), liaison_id=li))
        elif step == "exempt_act":
            o.execute(c.ExemptFromActivities(**_by(day), liaison_id=li, reason="travelling"))
        elif step == "lift_act":
            o.execute(c.LiftActivitiesExemption(**_by(day), liaison_id=li))
        elif step == "request":
            self.request[n] = o.execute(
                c.RequestAssessment(**_by(day), liaison_id=li, purpose=c.RequestPurpose.PLANNING)
            ).request_id  # type: ignore[assignment]
        elif step == "provide" and n in self.request:
            o.execute(c.ProvideAssessment(**_by(day), liaison_id=li, request_id=self.request[n],
                                          grade="fulfilled_well"))  # fmt: skip
        elif step == "assess":
            grade = ("fulfilled_well", "not_fulfilled_well")[next(self.attendance) % 2]
            o.execute(c.Assess(**_by(day), liaison_id=li, year=arg, grade=grade,
                               front_committee_representative=FRONT))  # fmt: skip
        elif step == "confirm":
            o.execute(c.ConfirmAssessment(**_by(day), liaison_id=li, year=arg))
        elif step == "report":
            o.execute(c.ReportBack(**_by(day), liaison_id=li, year=arg))
        elif step == "open_cycle":
            o.execute(c.OpenCycle(**_by(day), liaison_id=li, year=arg))
        elif step == "escalate":
            late = [d for d in o.deadlines(li, day) if d.is_overdue(day)]
            for ladder in (Step.REMINDER, Step.MISSED, Step.ESCALATED)[: 1 + len(late) % 3]:
                if late:
                    o.execute(TakeStep(**_by(day, o.system_actor_for(li, day)), liaison_id=li,
                                       deadline=late[0], step=ladder))  # fmt: skip
        elif step == "propose":
            kind = ("commendation", "discipline")[next(self.attendance) % 2]
            o.execute(c.Propose(**{**_by(day), "comment": "Gương mẫu ở khu dân cư"},
                                liaison_id=li, kind=kind))  # fmt: skip
        elif step == "close":
            o.execute(c.Close(**_by(day), liaison_id=li, reason=ClosingReason.RETIRED))
        elif step == "move":
            successor = o.execute(
                c.Close(**_by(day), liaison_id=li, reason=ClosingReason.MOVED_RESIDENCE,
                        successor=c.Referral(residence_commune_id=arg))
            ).successor_id  # fmt: skip
            if successor is not None:
                self.liaison[n] = successor
                self.request.pop(n, None)

    def meeting(self, day: date, cell: str) -> None:
        present = []
        for li in self.liaison.values():
            state = self.office.state_of(li, as_of_date=day)
            if state.cell_id == cell and state.cell_received_on and state.closed_reason is None:
                present.append(li)
        kinds = tuple(Attendance)
        entries = tuple(
            AttendanceEntry(liaison_id=li, attendance=kinds[next(self.attendance) % len(kinds)])
            for li in present
        )
        if entries:
            self.office.execute(c.RecordMeeting(**_by(day), cell_id=cell, attendance=entries))


def record(office: LiaisonOffice, history: Any) -> int:
    """Run the history in date order; how many members were registered."""
    for uid, kind, parent in TREE:
        unit = Unit(id=uid, name=f"Đơn vị {uid}", kind=kind, parent_id=parent,
                    valid_from=date(2000, 1, 1))  # fmt: skip
        office.execute(c.EstablishUnit(**_by(FIRST, ADMIN), unit=unit))
    members, meetings, _ = history
    plan = [(day, i, n, step, arg) for n, steps in enumerate(members)
            for i, (day, step, arg) in enumerate(steps)]  # fmt: skip
    plan += [(day, 99, -1, "meeting", cell) for day, cell in meetings]
    run = Run(office)
    done = set()
    for day, _, n, step, arg in sorted(plan, key=lambda p: (p[0], p[2], p[1])):
        try:
            if step == "meeting":
                run.meeting(day, arg)
            else:
                run.step(n, day, step, arg)
            done.add(step)
        except Refused:
            pass
    for step in sorted(done):
        event(f"recorded: {step}")  # what the examples covered (--hypothesis-show-statistics)
    return len(run.member)


def liaisons(rows: list[Row]) -> Counter[UUID | None]:
    return Counter(r.liaison_id for r in rows)


def members(rows: list[Row]) -> set[UUID | None]:
    return {r.member_id for r in rows}


def cells(rows: list[Row]) -> Counter[str | None]:
    return Counter(r.unit_id for r in rows)


def subtree(unit: str) -> set[str]:
    """The unit and every unit under it in the generated tree."""
    found = {unit}
    while grown := {u for u, _, parent in TREE if parent in found} - found:
        found |= grown
    return found


def check_board(figures: Figures, lists: dict[Metric, list[Row]], unit: str) -> None:
    """Each figure against its list, and the identities within one board."""
    scope = figures.scope
    where = f"{unit} {scope.year} on {scope.on}"
    for metric, rows in lists.items():
        assert figures.counts[metric] == len(rows), f"{metric.value} of {where}"
        named = [r for r in rows if r.member_id is not None]
        assert all(r.stage for r in named), f"a row of {metric.value} of {where} without a stage"
    n = figures.counts
    due, assessed = liaisons(lists[Metric.ASSESSMENTS_DUE]), liaisons(lists[Metric.ASSESSED])
    outstanding = liaisons(lists[Metric.NOT_ASSESSED])
    assert n[Metric.ASSESSMENTS_DUE] == n[Metric.ASSESSED] + n[Metric.NOT_ASSESSED], where
    assert due == assessed + outstanding, where
    assert not assessed & outstanding, where
    overdue = liaisons(lists[Metric.OVERDUE])
    assert overdue <= outstanding, where
    if scope.on.month == 12 and scope.on.day == 31:
        assert overdue == outstanding, where
    assert liaisons(lists[Metric.REPORTED]) <= assessed, where
    assert liaisons(lists[Metric.REQUESTS_OVERDUE]) <= liaisons(lists[Metric.REQUESTS_OPEN])
    assert sum(figures.grades.values()) == n[Metric.ASSESSED], where
    in_scope = members(lists[Metric.IN_SCOPE])
    assert len(in_scope) == n[Metric.IN_SCOPE], where
    assert members(lists[Metric.AWAITING_RECEIPT]) <= in_scope, where
    assert members(lists[Metric.EXEMPT_ACTIVITIES]) <= in_scope, where
    assert members(lists[Metric.REFERRALS_LATE]) <= in_scope, where
    kinds = Counter(r.detail for r in lists[Metric.PROPOSALS])
    assert sum(figures.proposals.values()) == n[Metric.PROPOSALS], where
    assert kinds == Counter(figures.proposals), where
    # Cells: those of the subtree with an assessment due, and of them those with none missing.
    within = subtree(unit)
    owed: dict[str | None, set[UUID | None]] = {}
    for r in lists[Metric.ASSESSMENTS_DUE]:
        if r.cell_id in within:
            owed.setdefault(r.cell_id, set()).add(r.liaison_id)
    assert cells(lists[Metric.CELLS_ASSESSING]) == Counter(owed.keys()), where
    complete = Counter(c for c, due in owed.items() if due <= set(assessed))
    assert cells(lists[Metric.CELLS_ASSESSED]) == complete, where


def check_tree(
    boards: dict[tuple[str, int], tuple[Figures, dict[Metric, list[Row]]]], on: date
) -> None:
    """Identities between boards: the two sides of the province, a district, both years."""
    for year in {y for _, y in boards}:
        lists = {u: boards[u, year][1] for u in UNITS}
        for metric in LIAISON_FIGURES:
            if metric in (Metric.ESCALATIONS_OPEN,):
                continue  # an escalation belongs to the unit that must act, not to a workplace
            by_commune = sum((liaisons(lists[x][metric]) for x in CELLS), Counter())
            by_workplace = liaisons(lists["W1"][metric]) + liaisons(lists["W2"][metric])
            province = liaisons(lists["P"][metric])
            assert province == by_commune == by_workplace, (metric.value, year)
            district = liaisons(lists["X1"][metric]) + liaisons(lists["X2"][metric])
            assert liaisons(lists["D"][metric]) == district, (metric.value, year)
            assert liaisons(lists["W1-C"][metric]) <= liaisons(lists["W1"][metric])
        for metric in CELL_FIGURES:  # a cell belongs to its commune; a workplace counts none
            by_commune = sum((cells(lists[x][metric]) for x in CELLS), Counter())
            assert cells(lists["P"][metric]) == by_commune, (metric.value, year)
            district = cells(lists["X1"][metric]) + cells(lists["X2"][metric])
            assert cells(lists["D"][metric]) == district, (metric.value, year)
            assert not lists["W1"][metric], (metric.value, year)
            assert not lists["W2"][metric], (metric.value, year)
    if (on.month, on.day) != (12, 31):
        return  # the two years' boards then leave out the end of the year before
    years = sorted({y for _, y in boards})
    for unit in UNITS:
        if unit in {cell for group in CELLS.values() for cell in group}:
            continue  # a referral names the commune; the cell is named on receipt
        total = Counter[Metric]()
        for year in years:
            total.update(boards[unit, year][0].counts)
        referred, received = total[Metric.REFERRED], total[Metric.RECEIVED_COMMUNE]
        assert referred >= received >= total[Metric.RECEIVED], unit


async def read_boards(
    reads: ProjectionReads, on: date
) -> dict[tuple[str, int], tuple[Figures, dict[Metric, list[Row]]]]:
    """Every unit's figures and lists on the date and on the same date of the year before."""
    boards = {}
    for unit in UNITS:
        now = Scope(unit_id=unit, year=on.year, on=on)
        for scope in (now, now.previous()):
            figures = await reads.figures(scope)
            found = await asyncio.gather(*(reads.rows(scope, m) for m in Metric))
            lists = dict(zip(Metric, found, strict=True))
            check_board(figures, lists, unit)
            boards[unit, scope.year] = (figures, lists)
    return boards


@settings(
    max_examples=6,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # an example takes seconds: report it unshrunk
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
async def test_every_figure_equals_its_list_on_generated_histories(
    pg_server_url: str, history: Any
) -> None:
    with isolated_schema(pg_server_url) as url:
        env = persistence_env(url)
        office = LiaisonOffice(env=env, clock=lambda: NOW)
        registered = record(office, history)
        projector = Projector(env, all_models())
        projector.catch_up()
        projector.close()
        reads = ProjectionReads(url)
        try:
            on = history[-1]
            boards = await read_boards(reads, on)
            check_tree(boards, on)
            for year in (on.year, on.year - 1):
                assert boards["P", year][0].counts[Metric.IN_SCOPE] == registered
        finally:
            await reads.close()
