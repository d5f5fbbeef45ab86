"""The board's read port: what its pages ask of the read side, and the shapes of the answers."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from pydantic import BaseModel, ConfigDict, field_validator

from domain.calendar import in_vietnam
from domain.deadlines import DeadlineKind
from domain.escalation import Notice
from domain.roles import Action
from domain.state import LiaisonState


class Metric(StrEnum):
    """A figure on the dashboard; each names the list of members behind it."""

    IN_SCOPE = "in_scope"
    REFERRED = "referred"
    RECEIVED_COMMUNE = "received_commune"
    RECEIVED = "received"
    AWAITING_RECEIPT = "awaiting_receipt"
    REFERRALS_LATE = "referrals_late"
    EXEMPT_INTRODUCTION = "exempt_introduction"
    EXEMPT_ACTIVITIES = "exempt_activities"
    ASSESSMENTS_DUE = "assessments_due"
    ASSESSED = "assessed"
    NOT_ASSESSED = "not_assessed"
    ASSESSMENTS_LATE = "assessments_late"
    OVERDUE = "overdue"
    REPORTED = "reported"
    REQUESTS_OPEN = "requests_open"
    REQUESTS_OVERDUE = "requests_overdue"
    ESCALATIONS_OPEN = "escalations_open"
    PROPOSALS = "proposals"
    CELLS_ASSESSING = "cells_assessing"
    CELLS_ASSESSED = "cells_assessed"


FIGURE_OF: dict[Metric, str] = {
    Metric.IN_SCOPE: "members_in_scope",
    Metric.REFERRED: "referred",
    Metric.RECEIVED_COMMUNE: "received_commune",
    Metric.RECEIVED: "received_cell",
    Metric.AWAITING_RECEIPT: "awaiting_receipt",
    Metric.REFERRALS_LATE: "referrals_late",
    Metric.EXEMPT_INTRODUCTION: "exempt_from_introduction",
    Metric.EXEMPT_ACTIVITIES: "exempt_from_activities",
    Metric.ASSESSMENTS_DUE: "assessments_due",
    Metric.ASSESSED: "assessments_returned",
    Metric.NOT_ASSESSED: "assessments_outstanding",
    Metric.ASSESSMENTS_LATE: "assessments_late",
    Metric.OVERDUE: "assessments_overdue",
    Metric.REPORTED: "reported_back",
    Metric.REQUESTS_OPEN: "requests_open",
    Metric.REQUESTS_OVERDUE: "requests_overdue",
    Metric.ESCALATIONS_OPEN: "escalations_open",
    Metric.PROPOSALS: "proposals",
    Metric.CELLS_ASSESSING: "cells_assessing",
    Metric.CELLS_ASSESSED: "cells_assessed",
}
"""Each board figure and the read-side figure (projections.figures) that defines it."""


class Scope(BaseModel):
    """Which unit's subtree, for which year, seen on which business date and as recorded by when."""

    model_config = ConfigDict(frozen=True)

    unit_id: str
    year: int
    on: date
    recorded_by: datetime | None = None

    @field_validator("recorded_by")
    @classmethod
    def _in_vietnam(cls, moment: datetime | None) -> datetime | None:
        """A time given without a zone is Vietnam's (as the CLI reads it), not UTC."""
        return in_vietnam(moment) if moment is not None else None

    def previous(self) -> Scope:
        """The same scope one year earlier (29 February falls back to the 28th).

        As the records stood at the same moment: an inspection's year-before column shows what
        the board knew then about the year before, as `liaison inspect` does."""
        on = self.on.replace(day=min(self.on.day, 28)) if self.on.month == 2 else self.on
        return Scope(
            unit_id=self.unit_id,
            year=self.year - 1,
            on=on.replace(year=on.year - 1),
            recorded_by=self.recorded_by,
        )


class Figures(BaseModel):
    """The dashboard of one scope: counts per metric, funnel, grades, meetings, overdue by unit."""

    scope: Scope
    counts: dict[Metric, int]
    stages: dict[str, int]
    grades: dict[str, int]
    proposals: dict[str, int] = {}
    """The residence cells' proposals in the period by kind (commendation, discipline)."""
    meetings_held: int
    meetings_expected: int
    attendance_present: int
    attendance_entries: int
    overdue_by_unit: dict[str, int]
    source: str


DETAIL_CONTEXT: dict[Metric, str] = {
    Metric.EXEMPT_INTRODUCTION: "exemption",
    Metric.EXEMPT_ACTIVITIES: "exemption",
    Metric.ASSESSED: "grade",
    Metric.ESCALATIONS_OPEN: "deadline_kind",
    Metric.PROPOSALS: "proposal",
}
"""What the code beside a listed member means, by figure (the others' codes are not for people:
a request's is its id)."""


CELL_METRICS = frozenset({Metric.CELLS_ASSESSING, Metric.CELLS_ASSESSED})
"""Figures that count residence cells: their lists name cells (`Row.unit_id`), not members."""


class Row(BaseModel):
    """One line of a list behind a figure: a member, their liaison and where it stands (or, for
    a figure that counts cells, the cell alone: `unit_id`, no member)."""

    member_id: UUID | None = None
    name: str = ""
    liaison_id: UUID | None = None
    workplace_unit_id: str | None = None
    unit_id: str | None = None
    """The unit the row counts under on the board asked (the cell, for the cells' figures)."""
    residence_commune_id: str | None = None
    cell_id: str | None = None
    stage: str | None = None
    detail: str | None = None


class MeetingRow(BaseModel):
    """A meeting a cell held."""

    meeting_id: UUID
    cell_id: str
    held_on: date
    ad_hoc: bool
    attendance: dict[str, int]


class EscalationRow(BaseModel):
    """An open escalation: which deadline was missed, whose it is, who was told."""

    escalation_id: UUID
    liaison_id: UUID
    member_id: UUID | None = None
    member_name: str | None = None
    workplace_unit_id: str | None = None
    kind: str
    subject: str
    awaited: str
    due_on: date
    opened_on: date
    unit_id: str
    superior_unit_id: str | None
    steps: list[str]


class NotificationRow(Notice):
    """A notice the workflows queued for a unit (a reminder, a missed deadline, an escalation),
    as the board reads it back with the time it was queued."""

    created_at: datetime
    """The parameters of `title` and `body`, which are message ids (`api.messages.notices`)."""
    member_id: UUID | None = None
    """The member concerned (none while the register has not caught up)."""


class ResultRow(BaseModel):
    """What became of a member a workplace committee referred: received, assessed, reported back."""

    notification_id: int
    event: str
    effective_date: date
    recorded_at: datetime
    actor_unit_id: str | None
    """The unit that acted (the commune, the cell)."""
    details: dict[str, Any]
    liaison_id: UUID
    member_id: UUID
    member_name: str
    workplace_unit_id: str
    """The workplace committee told."""


class IncompleteImport(BaseModel):
    """An import that began writing and did not finish (a crash, a kill): run it again."""

    run_id: UUID
    started_at: datetime
    source: str
    members: int


class AuditRow(BaseModel):
    """One event of the audit trail: when, who, what, to whom, why, and which command."""

    notification_id: int
    event: str
    effective_date: date | None
    recorded_at: datetime
    actor_id: str | None
    role: str | None
    actor_unit_id: str | None
    command_id: UUID | None
    regulation: str | None
    comment: str | None
    member_id: UUID | None
    units: list[str]
    details: dict[str, Any]
    member_name: str | None = None
    member_unit_id: str | None = None
    """The member's name and workplace, when the row concerns a member (None where unknown)."""


class AuditQuery(BaseModel):
    """Which audit rows: whose record, whose doing, recorded when, of which kind, which page."""

    model_config = ConfigDict(frozen=True)

    member_id: UUID | None = None
    records: tuple[UUID, ...] | None = None
    """Only the rows of these records (a member's own and the liaisons the reader may read)."""
    actor_id: str | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    event: str | None = None
    hidden: tuple[str, ...] = ()
    """Event kinds left out (the board hides sign-ins unless asked)."""
    after: int | None = None
    limit: int = 100


class AuditPage(BaseModel):
    """One page of the audit trail; `next_after` asks for the next page (None on the last)."""

    rows: list[AuditRow]
    next_after: int | None = None


class SearchHit(BaseModel):
    """A member found by a search: name, party card, where they stand and at which stage."""

    member_id: UUID
    name: str
    party_card_number: str
    unit_id: str
    """The cell of the member's latest liaison, else its commune; the workplace before any."""
    unit_name: str | None = None
    stage: str | None = None
    """The stage of the latest liaison (None: never referred)."""


class SearchPage(BaseModel):
    """The members of the user's subtree found by a search, best first; `more` when others
    matched too (type more to narrow)."""

    hits: list[SearchHit]
    more: bool = False


class SealStatus(BaseModel):
    """The seal's head beside the store's, and a verification's outcome when one was asked for."""

    position: int
    link: str | None
    store_head: int
    verified: bool | None = None
    checked: int | None = None
    recomputed: int | None = None
    broken_at: int | None = None
    problem: str | None = None


class StepGroup(BaseModel):
    """Steps of one kind awaited in one unit by one day: a line of a worklist."""

    model_config = ConfigDict(frozen=True)

    step: Action
    kind: DeadlineKind
    unit_id: str
    due_on: date
    subject: str
    """The year assessed (`GROUPED_BY_SUBJECT`), else empty."""
    first_opened: date
    """When the first of them was expected."""
    count: int
    """How many members."""
    members: list[tuple[UUID, str]]
    """The first of them by name."""


class Escalations(BaseModel):
    """The first open escalations, and how many are open in all."""

    model_config = ConfigDict(frozen=True)

    rows: list[EscalationRow]
    total: int


class Overdue(BaseModel):
    """The first lines of what is overdue, and how many lines there are in all."""

    model_config = ConfigDict(frozen=True)

    groups: list[StepGroup]
    lines: int


class BoardReads(Protocol):
    """What the board reads, answered by the read models (`api.reads_projections`)."""

    async def figures(
        self, scope: Scope, *, stages: bool = True, overdue_by_unit: bool = True
    ) -> Figures:
        """The dashboard figures of the scope; the stage funnel and the overdue breakdown, which
        are counted liaison by liaison, only if asked for (else empty)."""
        ...

    async def rows(
        self, scope: Scope, metric: Metric, code: str | None = None, page: int = 1,
        page_size: int | None = None,
    ) -> list[Row]:  # fmt: skip
        """The list of members behind one figure (those of one grade or reason, if given), in
        name order: all of it, or one page of `page_size` and the next page's first row when
        there is one."""
        ...

    async def liaisons(
        self, scope: Scope, first: int | None = None, after: tuple[str, UUID] | None = None
    ) -> list[Row]:
        """The open liaisons in the scope by name: the `first` of them (all when None), after
        the row of that member's name and liaison id when given."""
        ...

    async def states(
        self, scope: Scope, among: Collection[UUID] | None = None
    ) -> list[LiaisonState]:
        """The latest state of every liaison of the scope begun by its date, open or closed
        (of those `among` only, when given: the few a form was posted about)."""
        ...

    async def overdue(self, scope: Scope, shown: int, lines: int) -> Overdue | None:
        """The steps overdue on the scope's date across the liaisons `states` reads, by step,
        unit, due date (and year, `GROUPED_BY_SUBJECT`), the earliest due first, each naming
        its first `shown` members by name: under the policy each liaison will keep (right when
        `LiaisonOffice.settled_on` that date); the first `lines` of them and how many there
        are; None while the read models do not keep them."""
        ...

    async def meetings(self, scope: Scope) -> list[MeetingRow]:
        """The meetings held in the scope's year up to its date."""
        ...

    async def escalations(
        self, scope: Scope, first: int | None = None, after: tuple[date, UUID] | None = None
    ) -> list[EscalationRow]:
        """Open escalations that concern the scope's units, the earliest due first: the `first`
        of them (all when None), after the row of that due date and escalation id if given."""
        ...

    async def first_escalations(self, scope: Scope, first: int) -> Escalations:
        """The `first` open escalations that concern the scope's units, the earliest due first,
        and how many are open in all."""
        ...

    async def notifications(self, scope: Scope) -> list[NotificationRow]:
        """The newest notices the workflows addressed to the scope's units."""
        ...

    async def results(self, scope: Scope) -> list[ResultRow]:
        """The newest receipts, assessments and reports back of the members the scope's workplace
        committees referred."""
        ...

    async def incomplete_imports(self, scope: Scope) -> list[IncompleteImport]:
        """Imports begun by someone acting in the scope's subtree and not run to the end."""
        ...

    async def audit(self, scope: Scope, query: AuditQuery) -> AuditPage:
        """A page of the audit trail of the scope's subtree, or of one member, in log order."""
        ...

    async def evidence(self, scope: Scope) -> dict[str, Any]:
        """The inspection evidence of the scope, as `liaison export-evidence` writes it."""
        ...

    async def seal(self, verify: bool = False) -> SealStatus:
        """The seal's head; with `verify`, the chain checked against the stored events."""
        ...

    async def search(self, unit_id: str, on: date, text: str, limit: int) -> SearchPage:
        """Members of the unit's subtree (as in force on the date) found by name, card or
        citizen id; nothing of any other subtree."""
        ...

    def connection(self) -> AbstractAsyncContextManager[Any]:
        """A read connection on the store's schema (asyncpg): for what is read from the log
        itself, as a printed document's number and seal head."""
        ...

    async def caught_up(self, position: int, timeout: float) -> int:
        """Wait until the read models include `position` (at most `timeout` s); where they are."""
        ...

    async def close(self) -> None:
        """Release connections (the app's shutdown)."""
        ...


async def with_year_before(reads: BoardReads, scope: Scope) -> tuple[Figures, Figures]:
    """The statistics page's figures: the scope's, and the same scope a year earlier to compare
    with, read together on two connections. No chart draws the year before's overdue units, so
    they are not counted."""
    return await asyncio.gather(
        reads.figures(scope), reads.figures(scope.previous(), overdue_by_unit=False)
    )
