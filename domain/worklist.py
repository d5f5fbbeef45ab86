"""A board's worklist: the open deadlines of its liaisons, as steps someone must take, by urgency.

Every due date here is `open_deadlines`' (the one statement of when something is due); this module
only says which step a deadline waits for now and whose step it is."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.deadlines import Deadline, DeadlineKind, open_deadlines
from domain.organisation import OrganisationTree
from domain.policy import Policy
from domain.roles import Action, Actor, may
from domain.state import LiaisonState


class Task(BaseModel):
    """One step awaited on one member's liaison: which, from whom (the deadline's unit), by when."""

    model_config = ConfigDict(frozen=True)

    step: Action
    deadline: Deadline
    liaison_id: UUID
    member_id: UUID
    member_name: str
    workplace_unit_id: str

    def days_left(self, on: date) -> int:
        """Days until the due date on that date (negative: days overdue)."""
        return (self.deadline.due_on - on).days

    def days_waited(self, on: date) -> int:
        """Days since the step was first expected."""
        return (on - self.deadline.opens_on).days


GROUPED_BY_SUBJECT = (DeadlineKind.ANNUAL_ASSESSMENT, DeadlineKind.REPORT_BACK)
"""Kinds whose steps a worklist lists per subject (the year assessed); the others' subject names
one liaison, a request or a meeting, and their steps are listed together by unit and due date."""


def step_awaited(deadline: Deadline, state: LiaisonState) -> Action:
    """The step a deadline waits for now: a report back waits first for the confirmation."""
    if deadline.kind is DeadlineKind.REPORT_BACK:
        assessment = state.assessment(int(deadline.subject))
        if assessment is not None and assessment.confirmed_on is None:
            return Action.CONFIRM_ASSESSMENT
    return deadline.awaited


def open_tasks(
    states: Iterable[LiaisonState], policy_of: Callable[[LiaisonState], Policy], on: date
) -> list[Task]:
    """Every step awaited on that date across the liaisons, the earliest due first."""
    found = [
        Task(
            step=step_awaited(deadline, state),
            deadline=deadline,
            liaison_id=state.liaison_id,
            member_id=state.member_id,
            member_name=state.member_name,
            workplace_unit_id=state.workplace_unit_id,
        )
        for state in states
        for deadline in open_deadlines(state, policy_of(state), on)
    ]
    return sorted(found, key=lambda t: (t.deadline.due_on, t.member_name, str(t.liaison_id)))


def tasks_of(actor: Actor, tasks: Iterable[Task], tree: OrganisationTree, on: date) -> list[Task]:
    """The tasks the actor is to do: their role takes that step, in a unit of their subtree."""
    return [t for t in tasks if may(actor, t.step, t.deadline.unit_id, tree, on)]
