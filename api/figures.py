"""The dashboard's figures from liaison states: pure functions, shared by this year and last."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from api.reads import Figures, MeetingRow, Metric, Row, Scope
from domain.deadlines import Deadline
from domain.state import LiaisonState, Stage

FUNNEL = (
    Stage.REFERRED,
    Stage.RECEIVED_BY_COMMUNE,
    Stage.ATTENDING,
    Stage.ASSESSED,
    Stage.REPORTED_BACK,
)


@dataclass(frozen=True)
class MemberFact:
    """What the dashboard needs of a member record: name, workplace, exemption."""

    member_id: UUID
    name: str
    workplace_unit_id: str
    exemption: str | None


Deadlines = Callable[[LiaisonState], list[Deadline]]


def row_of(state: LiaisonState, detail: str | None = None) -> Row:
    """A list row for a liaison."""
    return Row(
        member_id=state.member_id,
        name=state.member_name,
        liaison_id=state.liaison_id,
        workplace_unit_id=state.workplace_unit_id,
        residence_commune_id=state.residence_commune_id,
        cell_id=state.cell_id,
        stage=state.stage.value,
        detail=detail,
    )


def _in_year(day: date | None, scope: Scope) -> bool:
    return day is not None and day.year == scope.year and day <= scope.on


def rows_for(
    metric: Metric,
    scope: Scope,
    states: Iterable[LiaisonState],
    members: Iterable[MemberFact],
    deadlines: Deadlines,
) -> list[Row]:
    """The members behind one figure of the scope."""
    if metric is Metric.EXEMPT_INTRODUCTION:
        return [
            Row(member_id=m.member_id, name=m.name, workplace_unit_id=m.workplace_unit_id,
                detail=m.exemption)
            for m in members if m.exemption
        ]  # fmt: skip
    rows: list[Row] = []
    for state in states:
        open_ = state.stage is not Stage.CLOSED
        current = state.assessment(scope.year)
        if metric is Metric.OVERDUE:
            late = [d for d in deadlines(state) if d.due_on < scope.on]
            if late:
                rows.append(row_of(state, ", ".join(f"{d.kind.value} {d.due_on}" for d in late)))
            continue
        keep = {
            Metric.IN_SCOPE: open_,
            Metric.REFERRED: _in_year(state.referred_on, scope),
            Metric.RECEIVED: _in_year(state.cell_received_on, scope),
            Metric.AWAITING_RECEIPT: state.stage in (Stage.REFERRED, Stage.RECEIVED_BY_COMMUNE),
            Metric.EXEMPT_ACTIVITIES: open_ and state.is_exempt_from_activities,
            Metric.ASSESSED: current is not None,
            Metric.REPORTED: current is not None and current.reported_on is not None,
            Metric.NOT_ASSESSED: open_
            and current is None
            and state.cell_received_on is not None
            and not state.is_exempt_from_activities,
        }[metric]
        if keep:
            rows.append(row_of(state, current.grade if current else None))
    return sorted(rows, key=lambda r: r.name)


def figures(
    scope: Scope,
    states: list[LiaisonState],
    members: list[MemberFact],
    meetings: list[MeetingRow],
    deadlines: Deadlines,
    meetings_per_year: int,
    source: str,
) -> Figures:
    """Every figure of the dashboard for the scope."""
    counts = {m: len(rows_for(m, scope, states, members, deadlines)) for m in Metric}
    open_states = [s for s in states if s.stage is not Stage.CLOSED]
    stages = Counter(s.stage.value for s in open_states)
    grades = Counter(a.grade for s in states if (a := s.assessment(scope.year)) is not None)
    cells = {s.cell_id for s in open_states if s.cell_id and not s.is_exempt_from_activities}
    entries = [m for s in states for m in s.meetings if m.held_on.year == scope.year]
    overdue: Counter[str] = Counter()
    for state in states:
        for deadline in deadlines(state):
            if deadline.due_on < scope.on:
                overdue[deadline.unit_id] += 1
    return Figures(
        scope=scope,
        counts=counts,
        stages={stage.value: stages.get(stage.value, 0) for stage in FUNNEL},
        grades=dict(sorted(grades.items())),
        meetings_held=len(meetings),
        meetings_expected=len(cells) * meetings_per_year,
        attendance_present=sum(1 for m in entries if m.attendance.value == "present"),
        attendance_entries=len(entries),
        overdue_by_unit=dict(sorted(overdue.items())),
        source=source,
    )
