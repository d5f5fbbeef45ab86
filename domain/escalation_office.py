"""EscalationDesk: the workflow records the escalation ladder; a superior board may resolve it."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain import commands as cmd
from domain.errors import Malformed, OutOfScope, UnknownMember, WrongState, no_such
from domain.escalation import (
    SYSTEM_ACTOR_ID,
    Escalation,
    ResolveEscalation,
    Step,
    TakeStep,
    escalation_id,
    system_actor,
)
from domain.queries import Queries
from domain.roles import Action, Actor
from domain.state import LiaisonState


class EscalationDesk(Queries):
    """Reminders, missed deadlines, escalations and their resolution, each recorded once."""

    def system_actor_for(self, liaison_id: UUID, on: date) -> Actor:
        """The workflow's actor for a liaison: the system, in the province of the residence."""
        state = self.liaison(liaison_id).state
        return system_actor(self.tree().province_of(state.residence_commune_id, on).id)

    def take_step(self, command: TakeStep) -> str:
        """Record one rung of a deadline's ladder; returns the unit told (the superior's, if so)."""

        def decide(today: date) -> tuple[list[Any], dict[str, str]]:
            state = self._for_system(command, today)
            policy = self.policy(command.effective_date, state.residence_commune_id)
            stamp = self._stamp(command, policy)
            deadline = command.deadline
            escalation = self._escalation(command.liaison_id, deadline.kind, deadline.subject)
            if escalation is None:
                escalation = Escalation.open(stamp, command.liaison_id, deadline)
            superior = None
            if command.step is Step.ESCALATED:
                chain = self.tree().ancestors(deadline.unit_id, command.effective_date)
                superior = chain[1].id if len(chain) > 1 else chain[0].id
            escalation.take(stamp, command.step, deadline, superior)
            return [escalation], {"unit_id": superior or deadline.unit_id}

        return self._execute(command, decide)["unit_id"]

    def resolve_escalation(self, command: ResolveEscalation) -> bool:
        """Close an open escalation (the workflow; or a superior board, with a comment)."""

        def decide(today: date) -> tuple[list[Any], dict[str, str]]:
            escalation = self._escalation(command.liaison_id, command.kind, command.subject)
            if command.actor.id == SYSTEM_ACTOR_ID:
                state = self._for_system(command, today)
                if escalation is None or not escalation.is_open:
                    return [], {"resolved": ""}  # False: the workflow found none to close
            else:
                state, escalation = self._for_person(command, today, escalation)
            policy = self.policy(command.effective_date, state.residence_commune_id)
            escalation.resolve(
                self._stamp(command, policy), command.resolution, command.liaison_version
            )
            return [escalation], {"resolved": "yes"}

        return bool(self._execute(command, decide)["resolved"])

    def escalation(self, escalation: UUID) -> Escalation:
        """Load an escalation, refusing an unknown id."""
        found: Escalation = self._get(Escalation, escalation, "escalation")
        return found

    def _escalation(self, liaison_id: UUID, kind: Any, subject: str) -> Escalation | None:
        try:
            found: Any = self.repository.get(escalation_id(liaison_id, kind, subject))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Escalation) else None

    def _for_person(
        self, command: ResolveEscalation, today: date, escalation: Escalation | None
    ) -> tuple[LiaisonState, Escalation]:
        """A supervisor or committee member of the subtree closes an open escalation, saying how."""
        if escalation is None:
            raise no_such("escalation")
        self._authorise_record(
            command, Action.RESOLVE_ESCALATION, today, "escalation", escalation.unit_id
        )
        if not escalation.is_open:
            raise WrongState(
                "The escalation is already resolved.", "Cảnh báo này đã được giải quyết."
            )
        if not (command.comment or "").strip():
            raise Malformed(
                "Say how the escalation was resolved (a comment).",
                "Hãy ghi rõ cảnh báo đã được giải quyết thế nào (ý kiến).",
            )
        return self.liaison(command.liaison_id).state, escalation

    def _for_system(self, command: cmd.Command, today: date) -> LiaisonState:
        if command.actor.id != SYSTEM_ACTOR_ID:
            raise OutOfScope(
                "Only the liaison workflow records escalations.",
                "Chỉ quy trình tự động mới ghi nhận cảnh báo.",
            )
        liaison_id = getattr(command, "liaison_id", None)
        if not isinstance(liaison_id, UUID):
            raise UnknownMember("No liaison named.", "Không nêu quan hệ.")
        state = self.liaison(liaison_id).state
        # The supervisor's read scope stands for "may watch this liaison".
        self._authorise(command, Action.READ, today, state.residence_commune_id)
        return state
