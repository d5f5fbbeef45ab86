"""The board's first screen: what the signed-in role must do now, most urgent first.

Each role's worklist is drawn from the open deadlines of the liaisons in its subtree
(`domain.worklist`, over `domain.deadlines.open_deadlines` under the policy in force) and, for
those who supervise, the open escalations; the statistics are on their own page (`/figures`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import Desk, ReadsDep
from api.i18n import gettext, language_of
from api.reads import BoardReads, EscalationRow, Scope
from api.routes_queries import scope_of
from api.web.render import WebDesk, WebSession, page
from domain.deadlines import DeadlineKind
from domain.errors import Language
from domain.policy import Policy
from domain.roles import ALLOWED, Action, Actor, Role
from domain.state import LiaisonState
from domain.worklist import Task, open_tasks, tasks_of

router = APIRouter(include_in_schema=False)
MEMBERS_SHOWN = 5
"""Members named on one line of the worklist; the rest are counted ("and 12 others")."""
LINES_SHOWN = 50
"""Lines shown under one heading, the most urgent; the rest are counted."""

FORM_OF: dict[Action, str] = {
    Action.REFER: "/forms/refer",
    Action.RECEIVE_AT_COMMUNE: "/forms/receive",
    Action.RECEIVE_AT_CELL: "/forms/receive",
    Action.RECORD_MEETING: "/forms/meeting",
    Action.ASSESS: "/forms/assess?year={subject}",
    Action.PROVIDE_ASSESSMENT: "/forms/requests",
    Action.CONFIRM_ASSESSMENT: "/forms/report?year={subject}",
    Action.REPORT_BACK: "/forms/report?year={subject}",
}
"""Where each step is taken on the board (the form page that records it)."""

SUPERVISING = (Role.COMMITTEE_MEMBER, Role.SUPERVISOR, Role.INSPECTOR)
"""Roles whose worklist is the escalations and what is overdue in their subtree."""


@dataclass(frozen=True)
class Item:
    """One line of a worklist: a step, in a unit, due on a day, for one member or several."""

    step: Action
    kind: DeadlineKind
    unit_id: str
    due_on: date
    days_left: int
    days_waited: int
    members: tuple[tuple[UUID, str], ...]
    link: str | None
    """The form page that takes the step (None when the user's role does not take it)."""

    @property
    def shown(self) -> tuple[tuple[UUID, str], ...]:
        """The members named on the line."""
        return self.members[:MEMBERS_SHOWN]

    @property
    def others(self) -> int:
        """How many more members the line stands for."""
        return max(0, len(self.members) - MEMBERS_SHOWN)


@dataclass(frozen=True)
class Section:
    """A heading of the worklist, its lines, and what it means when it has none."""

    title: str
    empty: str
    items: list[Any] = field(default_factory=list)
    kind: str = "tasks"


def lines(tasks: Iterable[Task], on: date, may: Callable[[Action], bool]) -> list[Item]:
    """Tasks grouped by step, unit and due date (one line per group), the earliest due first."""
    groups: dict[tuple[Action, str, date, str], list[Task]] = {}
    for task in tasks:
        d = task.deadline
        subject = (
            d.subject
            if d.kind in (DeadlineKind.ANNUAL_ASSESSMENT, DeadlineKind.REPORT_BACK)
            else ""
        )
        groups.setdefault((task.step, d.unit_id, d.due_on, subject), []).append(task)
    found = []
    for (step, unit_id, due_on, subject), group in groups.items():
        first = group[0]
        form = FORM_OF.get(step)
        found.append(
            Item(
                step=step, kind=first.deadline.kind, unit_id=unit_id, due_on=due_on,
                days_left=first.days_left(on),
                days_waited=max(t.days_waited(on) for t in group),
                members=tuple(sorted({(t.member_id, t.member_name) for t in group},
                                     key=lambda m: (m[1], str(m[0])))),
                link=form.format(subject=subject or on.year) if form and may(step) else None,
            )
        )  # fmt: skip
    return sorted(found, key=lambda i: (i.due_on, i.unit_id, i.step.value))


def by_unit(rows: list[EscalationRow]) -> list[tuple[str, list[EscalationRow]]]:
    """Open escalations by the unit that missed the deadline, the unit missing the oldest first."""
    units: dict[str, list[EscalationRow]] = {}
    for row in sorted(rows, key=lambda r: (r.due_on, r.member_name or "")):
        units.setdefault(row.unit_id, []).append(row)
    return list(units.items())


def results_arrived(states: Iterable[LiaisonState], year: int) -> list[dict[str, Any]]:
    """The year's assessments reported back and the answered requests, the newest first."""
    found: list[dict[str, Any]] = []
    for s in states:
        for a in s.assessments:
            if a.reported_on is not None and a.year == year:
                found.append({"state": s, "on": a.reported_on, "grade": a.grade, "year": a.year})
        for r in s.requests:
            if r.provided_on is not None and r.provided_on.year == year:
                found.append({"state": s, "on": r.provided_on, "grade": r.grade,
                              "purpose": r.purpose})  # fmt: skip
    return sorted(found, key=lambda f: (f["on"], f["state"].member_name), reverse=True)


async def worklist(
    desk: Desk, reads: BoardReads, role: Role, scope: Scope, language: Language
) -> list[Section]:
    """The sections of the role's worklist for the scope's unit, on the scope's date."""
    on = scope.on
    states = await reads.states(scope)
    tree = await desk.call(desk.office.tree)
    policies: dict[str, Policy] = {}

    def policy_of(state: LiaisonState) -> Policy:
        commune = state.residence_commune_id
        if commune not in policies:
            policies[commune] = desk.office.policy(on, commune)
        return policies[commune]

    tasks = await desk.call(open_tasks, states, policy_of, on)
    actor = Actor(id=desk.user.username, role=role, unit_id=scope.unit_id)
    mine = tasks_of(actor, tasks, tree, on)

    def may(step: Action) -> bool:
        return step in ALLOWED[role]

    def steps(*wanted: Action) -> list[Item]:
        return lines([t for t in mine if t.step in wanted], on, may)

    if role is Role.CELL_SECRETARY:
        return [
            Section(
                gettext("Members to receive", language),
                gettext("No member awaits receipt.", language),
                steps(Action.RECEIVE_AT_CELL),
            ),
            Section(
                gettext("Meetings due", language),
                gettext("No meeting is due.", language),
                steps(Action.RECORD_MEETING),
            ),
            Section(
                gettext("Assessments due", language),
                gettext("No assessment is due.", language),
                steps(Action.ASSESS),
            ),
            Section(
                gettext("Requests to answer", language),
                gettext("No request awaits an answer.", language),
                steps(Action.PROVIDE_ASSESSMENT),
            ),
        ]
    if role is Role.COMMUNE_CLERK:
        return [
            Section(
                gettext("Referrals to receive", language),
                gettext("No referral awaits receipt.", language),
                steps(Action.RECEIVE_AT_COMMUNE),
            ),
            Section(
                gettext("Assessments to confirm", language),
                gettext("No assessment awaits confirmation.", language),
                steps(Action.CONFIRM_ASSESSMENT),
            ),
            Section(
                gettext("Results to report back", language),
                gettext("No result awaits reporting back.", language),
                steps(Action.REPORT_BACK),
            ),
        ]
    if role is Role.WORKPLACE_CLERK:
        ours = [t for t in tasks if tree.is_within(t.workplace_unit_id, scope.unit_id, on)]
        waiting = [t for t in ours if t.deadline.kind is DeadlineKind.RECEIPT]
        asked = [t for t in ours if t.deadline.kind is DeadlineKind.ON_DEMAND_ASSESSMENT]
        return [
            Section(
                gettext("Members to refer again", language),
                gettext("No member awaits a new referral.", language),
                steps(Action.REFER),
            ),
            Section(
                gettext("Referrals awaiting receipt", language),
                gettext("Every referral has been received.", language),
                sorted(lines(waiting, on, may), key=lambda i: -i.days_waited),
            ),
            Section(
                gettext("Requests awaiting an answer", language),
                gettext("No request awaits an answer.", language),
                lines(asked, on, may),
            ),
            Section(
                gettext("Results arrived", language),
                gettext("No result has arrived this year.", language),
                results_arrived(states, on.year),
                kind="results",
            ),
        ]
    if role in SUPERVISING:
        rows = await reads.escalations(scope)
        overdue = [t for t in tasks if t.deadline.is_overdue(on)]
        return [
            Section(
                gettext("Open escalations", language),
                gettext("No escalation is open.", language),
                by_unit(rows),
                kind="escalations",
            ),
            Section(
                gettext("Overdue", language),
                gettext("Nothing is overdue.", language),
                lines(overdue, on, may),
            ),
        ]
    return []


@router.get("/")
async def home(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep,
    unit: str | None = None,
) -> HTMLResponse:  # fmt: skip
    """What the user's role must do now in their unit (or a unit of their subtree)."""
    scope = await scope_of(desk, unit or session.user.unit_id, None, None, None)
    sections = await worklist(desk, reads, session.user.role, scope, language_of(request))
    return page(
        request, "work.html", session, sections=sections, scope=scope, today=scope.on,
        figures=f"/figures?unit={scope.unit_id}", lines_shown=LINES_SHOWN,
    )  # fmt: skip
