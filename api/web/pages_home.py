"""The board's first screen: what the signed-in role must do now, most urgent first.

Each role's worklist is drawn from the open deadlines of the liaisons in its subtree
(`domain.worklist`, over `domain.deadlines.open_deadlines` under the policy in force) and, for
those who supervise, the open escalations; the statistics are on their own page (`/figures`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import Desk, ReadsDep
from api.reads import BoardReads, EscalationRow, Escalations, Scope, StepGroup
from api.routes_queries import scope_of
from api.web.render import WebDesk, WebSession, page
from domain.deadlines import DeadlineKind
from domain.policy import Policy
from domain.roles import ALLOWED, Action, Actor, Role
from domain.state import LiaisonState
from domain.worklist import GROUPED_BY_SUBJECT, Task, open_tasks, tasks_of

router = APIRouter(include_in_schema=False)
MEMBERS_SHOWN = 5
"""Members named on one line of the worklist; the rest are counted ("and 12 others")."""
LINES_SHOWN = 50
"""Lines shown under one heading, the most urgent; the rest are counted."""

FORM_OF: dict[Action, str] = {
    Action.REFER: "/forms/refer",
    Action.RECEIVE_AT_COMMUNE: "/forms/receive?unit={unit}",
    Action.RECEIVE_AT_CELL: "/forms/receive?unit={unit}",
    Action.RECORD_MEETING: "/forms/meeting?unit={unit}",
    Action.ASSESS: "/forms/assess?year={subject}&unit={unit}",
    Action.PROVIDE_ASSESSMENT: "/forms/requests?unit={unit}",
    Action.CONFIRM_ASSESSMENT: "/forms/report?year={subject}&unit={unit}",
    Action.REPORT_BACK: "/forms/report?year={subject}&unit={unit}",
}
"""Where each step is taken on the board: the form page that records it, open on the unit that
takes it (a province's own page would have every unit to choose from)."""

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
    shown: tuple[tuple[UUID, str], ...]
    """The members named on the line, the first by name."""
    count: int
    """How many members the line stands for."""
    link: str | None
    """The form page that takes the step (None when the user's role does not take it)."""

    @property
    def others(self) -> int:
        """How many more members the line stands for."""
        return self.count - len(self.shown)


def item(group: StepGroup, on: date, may: Callable[[Action], bool]) -> Item:
    """The line of one group of steps, linked to the form that takes them if the role may."""
    form = FORM_OF.get(group.step)
    return Item(
        step=group.step, kind=group.kind, unit_id=group.unit_id, due_on=group.due_on,
        days_left=(group.due_on - on).days, days_waited=(on - group.first_opened).days,
        shown=tuple(group.members[:MEMBERS_SHOWN]), count=group.count,
        link=(
            form.format(subject=group.subject or on.year, unit=quote(group.unit_id))
            if form and may(group.step)
            else None
        ),
    )  # fmt: skip


@dataclass(frozen=True)
class Section:
    """A heading of the worklist, its lines, and what it means when it has none."""

    title: str
    empty: str
    items: list[Any] = field(default_factory=list)
    kind: str = "tasks"
    lines: int | None = None
    """How many lines there are, when `items` holds only the first of them."""


def lines(tasks: Iterable[Task], on: date, may: Callable[[Action], bool]) -> list[Item]:
    """Tasks grouped by step, unit and due date (one line per group), the earliest due first."""
    groups: dict[tuple[Action, str, date, str], list[Task]] = {}
    for task in tasks:
        d = task.deadline
        subject = d.subject if d.kind in GROUPED_BY_SUBJECT else ""
        groups.setdefault((task.step, d.unit_id, d.due_on, subject), []).append(task)
    found = []
    for (step, unit_id, due_on, subject), group in groups.items():
        members = sorted({(t.member_id, t.member_name) for t in group},
                         key=lambda m: (m[1], str(m[0])))  # fmt: skip
        found.append(
            item(
                StepGroup(
                    step=step, kind=group[0].deadline.kind, unit_id=unit_id, due_on=due_on,
                    subject=subject, first_opened=min(t.deadline.opens_on for t in group),
                    count=len(members), members=members[:MEMBERS_SHOWN],
                ),
                on, may,
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
    """The year's assessments reported back, answered requests and the residence cell's
    proposals of commendation or discipline, the newest first."""
    found: list[dict[str, Any]] = []
    for s in states:
        for a in s.assessments:
            if a.reported_on is not None and a.year == year:
                found.append({"state": s, "on": a.reported_on, "grade": a.grade, "year": a.year})
        for kind, day in s.proposals:
            if day.year == year:
                found.append({"state": s, "on": day, "grade": None, "proposal": kind})
        for r in s.requests:
            if r.provided_on is not None and r.provided_on.year == year:
                found.append({"state": s, "on": r.provided_on, "grade": r.grade,
                              "purpose": r.purpose})  # fmt: skip
    return sorted(found, key=lambda f: (f["on"], f["state"].member_name), reverse=True)


def N_(message: str) -> str:  # noqa: N802 (gettext's marker, which `pybabel extract` knows)
    """A message id for the catalogue, translated where the page shows it."""
    return message


OWN_STEPS: dict[Role, tuple[tuple[str, str, tuple[Action, ...]], ...]] = {
    Role.CELL_SECRETARY: (
        (N_("Members to receive"), N_("No member awaits receipt."), (Action.RECEIVE_AT_CELL,)),
        (N_("Meetings due"), N_("No meeting is due."), (Action.RECORD_MEETING,)),
        (N_("Assessments due"), N_("No assessment is due."), (Action.ASSESS,)),
        (N_("Requests to answer"), N_("No request awaits an answer."),
         (Action.PROVIDE_ASSESSMENT,)),
    ),
    Role.COMMUNE_CLERK: (
        (N_("Referrals to receive"), N_("No referral awaits receipt."),
         (Action.RECEIVE_AT_COMMUNE,)),
        (N_("Assessments to confirm"), N_("No assessment awaits confirmation."),
         (Action.CONFIRM_ASSESSMENT,)),
        (N_("Results to report back"), N_("No result awaits reporting back."),
         (Action.REPORT_BACK,)),
    ),
    Role.WORKPLACE_CLERK: (
        (N_("Members to refer again"), N_("No member awaits a new referral."), (Action.REFER,)),
        (N_("Closing slips to send"), N_("No closing slip awaits sending."),
         (Action.SEND_CLOSING_SLIP,)),
    ),
}  # fmt: skip
"""The steps each role takes itself, under their headings, in the order the role works."""


async def worklist(desk: Desk, reads: BoardReads, role: Role, scope: Scope) -> list[Section]:
    """The sections of the role's worklist for the scope's unit, on the scope's date (worked
    out on a worker thread: a province's tasks take seconds, the event loop serves others).

    Those who supervise see only what is overdue: read from the steps the read models keep
    when the policy on that date is the one they were worked out under, else worked out from
    every liaison's state (a province's 300,000 take about forty seconds). A role that takes no
    step of its own and supervises none (the administrator) keeps no worklist: nothing is read."""
    if role not in SUPERVISING and role not in OWN_STEPS:
        return []
    none = Escalations(rows=[], total=0)
    escalations = await reads.first_escalations(scope, LINES_SHOWN) if role in SUPERVISING else none
    if role in SUPERVISING and await desk.call(desk.office.settled_on, scope.on):
        found = await reads.overdue(scope, MEMBERS_SHOWN, LINES_SHOWN)
        if found is not None:
            may = partial(allowed, role)
            overdue = [item(g, scope.on, may) for g in found.groups]
            return supervising(overdue, escalations, found.lines)
    states = await reads.states(scope)
    return await desk.call(_sections, desk, role, scope, states, escalations)


def allowed(role: Role, step: Action) -> bool:
    """Whether the role takes that step at all (its line then links to the form)."""
    return step in ALLOWED[role]


def supervising(
    overdue: list[Item], escalations: Escalations, lines: int | None = None
) -> list[Section]:
    """The worklist of those who supervise: the first open escalations, then what is overdue
    (`lines`: how many lines there are, when `overdue` holds only the first)."""
    return [
        Section(N_("Open escalations"), N_("No escalation is open."), by_unit(escalations.rows),
                kind="escalations", lines=escalations.total),
        Section(N_("Overdue"), N_("Nothing is overdue."), overdue, lines=lines),
    ]  # fmt: skip


def _sections(
    desk: Desk,
    role: Role,
    scope: Scope,
    states: list[LiaisonState],
    escalations: Escalations,
) -> list[Section]:
    on = scope.on
    tree = desk.office.tree()
    policies: dict[str, Policy] = {}

    def policy_of(state: LiaisonState) -> Policy:
        commune = state.residence_commune_id
        if commune not in policies:
            policies[commune] = desk.office.policy(on, commune)
        return policies[commune]

    tasks = open_tasks(states, policy_of, on)
    may = partial(allowed, role)
    if role in SUPERVISING:
        return supervising(lines([t for t in tasks if t.deadline.is_overdue(on)], on, may),
                           escalations)  # fmt: skip
    actor = Actor(id=desk.user.username, role=role, unit_id=scope.unit_id)
    mine = tasks_of(actor, tasks, tree, on)

    sections = [
        Section(title, empty, lines([t for t in mine if t.step in wanted], on, may))
        for title, empty, wanted in OWN_STEPS.get(role, ())
    ]
    if role is Role.WORKPLACE_CLERK:
        ours = [t for t in tasks if tree.is_within(t.workplace_unit_id, scope.unit_id, on)]
        waiting = [t for t in ours if t.deadline.kind is DeadlineKind.RECEIPT]
        asked = [t for t in ours if t.deadline.kind is DeadlineKind.ON_DEMAND_ASSESSMENT]
        sections += [
            Section(N_("Referrals awaiting receipt"), N_("Every referral has been received."),
                    sorted(lines(waiting, on, may), key=lambda i: -i.days_waited)),
            Section(N_("Requests awaiting an answer"), N_("No request awaits an answer."),
                    lines(asked, on, may)),
            Section(N_("Results arrived"), N_("No result has arrived this year."),
                    results_arrived(states, on.year), kind="results"),
        ]  # fmt: skip
    return sections


@router.get("/")
async def home(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep,
    unit: str | None = None,
) -> HTMLResponse:  # fmt: skip
    """What the user's role must do now in their unit (or a unit of their subtree)."""
    scope = await scope_of(desk, unit or session.user.unit_id, None, None, None)
    sections = await worklist(desk, reads, session.user.role, scope)
    return page(
        request, "work.html", session, sections=sections, scope=scope, today=scope.on,
        figures=f"/figures?unit={scope.unit_id}", lines_shown=LINES_SHOWN,
    )  # fmt: skip
