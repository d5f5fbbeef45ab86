"""`BoardReads` answered from the event store itself, until the projections offer these reads."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from api.figures import MemberFact, figures, row_of, rows_for
from api.office import Office
from api.reads import EscalationRow, Figures, MeetingRow, Metric, Row, Scope
from domain.deadlines import Deadline, open_deadlines
from domain.escalation import Escalated, EscalationOpened, EscalationResolved, StepTaken
from domain.liaison_events import LiaisonEvent, on_or_before, replay
from domain.meeting import MeetingHeld
from domain.member import ExemptedFromIntroduction, IntroductionExemptionLifted, MemberRegistered
from domain.state import LiaisonState, Stage

PAGE = 1000
SOURCE = "event store"


class StoreReads:
    """Folds the whole notification log per request: exact, and fine for a province's pilot."""

    def __init__(self, office: Office) -> None:
        self.office = office

    def _events(self, recorded_by: datetime | None) -> list[Any]:
        found: list[Any] = []
        start = 1
        while True:
            page = self.office.recorder.select_notifications(start=start, limit=PAGE)
            for notification in page:
                event: Any = self.office.mapper.to_domain_event(notification)
                if recorded_by is None or event.timestamp <= recorded_by:
                    found.append(event)
            if len(page) < PAGE:
                return found
            start = page[-1].id + 1

    def _within(self, unit_id: str | None, scope: Scope) -> bool:
        return unit_id is not None and self.office.tree().is_within(
            unit_id, scope.unit_id, scope.on
        )

    def _concerns(self, state: LiaisonState, scope: Scope) -> bool:
        units = (state.workplace_unit_id, state.residence_commune_id, state.cell_id)
        return any(self._within(u, scope) for u in units)

    def _states(self, scope: Scope, events: list[Any]) -> list[LiaisonState]:
        by_liaison: dict[UUID, list[LiaisonEvent]] = defaultdict(list)
        for event in events:
            if isinstance(event, LiaisonEvent):
                by_liaison[event.originator_id].append(event)
        states = []
        for history in by_liaison.values():
            effective = on_or_before(scope.on, history)
            if effective and effective[0].originator_version == 1:
                state = replay(effective)
                if self._concerns(state, scope):
                    states.append(state)
        return states

    def _members(self, scope: Scope, events: list[Any]) -> list[MemberFact]:
        facts: dict[UUID, MemberFact] = {}
        for e in events:
            if (getattr(e, "effective_date", None) or scope.on) > scope.on:
                continue
            if isinstance(e, MemberRegistered) and self._within(e.workplace_unit_id, scope):
                facts[e.originator_id] = MemberFact(
                    e.originator_id, e.name, e.workplace_unit_id, None
                )
            elif isinstance(e, ExemptedFromIntroduction | IntroductionExemptionLifted) and (
                fact := facts.get(e.originator_id)
            ):
                reason = e.reason if isinstance(e, ExemptedFromIntroduction) else None
                facts[e.originator_id] = MemberFact(
                    fact.member_id, fact.name, fact.workplace_unit_id, reason
                )
        return list(facts.values())

    def _meetings(self, scope: Scope, events: list[Any]) -> list[MeetingRow]:
        return [
            MeetingRow(
                meeting_id=e.originator_id,
                cell_id=e.cell_id,
                held_on=e.effective_date,
                ad_hoc=e.ad_hoc,
                attendance=dict(Counter(a.attendance.value for a in e.attendance)),
            )
            for e in events
            if isinstance(e, MeetingHeld)
            and e.effective_date.year == scope.year
            and e.effective_date <= scope.on
            and self._within(e.cell_id, scope)
        ]

    def _deadlines(self, scope: Scope) -> Any:
        def of(state: LiaisonState) -> list[Deadline]:
            policy = self.office.policy(scope.on, state.residence_commune_id)
            return open_deadlines(state, policy, scope.on)

        return of

    def _figures(self, scope: Scope) -> Figures:
        events = self._events(scope.recorded_by)
        policy = self.office.policy(scope.on, scope.unit_id)
        per_year = max(1, 12 // policy.deadlines.meeting_interval_months)
        return figures(
            scope,
            self._states(scope, events),
            self._members(scope, events),
            self._meetings(scope, events),
            self._deadlines(scope),
            per_year,
            SOURCE,
        )

    def _rows(self, scope: Scope, metric: Metric) -> list[Row]:
        events = self._events(scope.recorded_by)
        states = self._states(scope, events)
        members = self._members(scope, events)
        return rows_for(metric, scope, states, members, self._deadlines(scope))

    def _liaisons(self, scope: Scope) -> list[Row]:
        states = self._states(scope, self._events(scope.recorded_by))
        rows = [row_of(s) for s in states if s.stage is not Stage.CLOSED]
        return sorted(rows, key=lambda r: r.name)

    def _escalations(self, scope: Scope) -> list[EscalationRow]:
        found: dict[UUID, EscalationRow] = {}
        for e in self._events(scope.recorded_by):
            if isinstance(e, EscalationOpened):
                found[e.originator_id] = EscalationRow(
                    escalation_id=e.originator_id, liaison_id=e.liaison_id, kind=e.kind.value,
                    due_on=e.due_on, unit_id=e.unit_id, superior_unit_id=None, steps=[],
                )  # fmt: skip
            elif isinstance(e, StepTaken) and (row := found.get(e.originator_id)):
                row.steps.append(type(e).__name__)
                if isinstance(e, Escalated):
                    row.superior_unit_id = e.superior_unit_id
            elif isinstance(e, EscalationResolved):
                found.pop(e.originator_id, None)
        return [
            r for r in found.values()
            if self._within(r.unit_id, scope) or self._within(r.superior_unit_id, scope)
        ]  # fmt: skip

    async def figures(self, scope: Scope) -> Figures:
        """The dashboard figures of the scope."""
        return await run_in_threadpool(self._figures, scope)

    async def rows(self, scope: Scope, metric: Metric) -> list[Row]:
        """The list of members behind one figure."""
        return await run_in_threadpool(self._rows, scope, metric)

    async def liaisons(self, scope: Scope) -> list[Row]:
        """Every open liaison in the scope."""
        return await run_in_threadpool(self._liaisons, scope)

    async def states(self, scope: Scope) -> list[LiaisonState]:
        """The full state of every liaison in the scope as of its date."""
        return await run_in_threadpool(lambda: self._states(scope, self._events(scope.recorded_by)))

    async def meetings(self, scope: Scope) -> list[MeetingRow]:
        """The meetings held in the scope's year up to its date."""
        return await run_in_threadpool(
            lambda: self._meetings(scope, self._events(scope.recorded_by))
        )

    async def escalations(self, scope: Scope) -> list[EscalationRow]:
        """Open escalations that concern the scope's units."""
        return await run_in_threadpool(self._escalations, scope)
