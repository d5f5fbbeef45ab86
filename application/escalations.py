"""Escalations: the workflow records each rung of a missed deadline's ladder and closes it when
the awaited step arrives; a superior board may close one itself, saying how."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

from application.outcome import Outcome
from application.use import Use
from application.work import Decision, Scope, Work, residence_policy
from domain.deadlines import DeadlineKind
from domain.errors import Malformed, OutOfScope, WrongState, no_such
from domain.escalation import (
    SYSTEM_ACTOR_ID,
    Escalation,
    ResolveEscalation,
    SettleEscalation,
    Step,
    TakeStep,
    watches_member,
)
from domain.policy import Policy
from domain.roles import Action

BOARD_RESOLUTION = "resolved by the board"


def _watched_policy(work: Work, watched: UUID, kind: DeadlineKind, on: date) -> Policy:
    """The policy for a step of a watched record's deadline: the residence's province for a
    liaison's, the workplace's for a member's referral (`watches_member`)."""
    if watches_member(kind):
        return work.policy(on, work.member(watched).workplace_unit_id)
    return work.policy(on, work.liaison(watched).state.residence_commune_id)


def take_step(work: Work, command: TakeStep) -> Decision:
    """Record one rung of a deadline's ladder; the outcome names the unit told (the superior's).

    A member's referral takes no step once they were referred or exempted from introduction."""
    deadline = command.deadline
    policy = _watched_policy(work, command.liaison_id, deadline.kind, command.effective_date)
    if watches_member(deadline.kind):
        member = work.member(command.liaison_id)
        if member.referral_due(policy) is None:
            raise WrongState("{member} no longer awaits a referral.", member=member.name)
    stamp = work.stamp(policy)
    escalation = work.escalation_to_open(command.liaison_id, deadline.kind, deadline.subject)
    if escalation is None:  # the first rung opens it (its first event: the id cannot be taken)
        escalation = Escalation.open(stamp, command.liaison_id, deadline)
    superior = None
    if command.step is Step.ESCALATED:
        chain = work.tree.ancestors(deadline.unit_id, command.effective_date)
        superior = chain[1].id if len(chain) > 1 else chain[0].id
    escalation.take(stamp, command.step, deadline, superior)
    return Decision([escalation], Outcome(unit_id=superior or deadline.unit_id))


def resolve_escalation(work: Work, command: ResolveEscalation) -> Decision:
    """The workflow closes an open escalation: the awaited event arrived, or no longer applies."""
    escalation = work.escalation(command.liaison_id, command.kind, command.subject)
    if escalation is None or not escalation.is_open:
        return Decision([])  # the workflow found none to close
    policy = _watched_policy(work, command.liaison_id, command.kind, command.effective_date)
    escalation.resolve(work.stamp(policy), command.resolution, command.liaison_version)
    return Decision([escalation], Outcome(resolved=True))


def settle_escalation(work: Work, command: SettleEscalation) -> Decision:
    """Close an open escalation of one's subtree (supervisor or committee member).

    A superior board closes an escalation of its subtree, saying how (the comment)."""
    escalation = _escalation(work, command)
    if not escalation.is_open:
        raise WrongState("The escalation is already resolved.")
    if not (command.comment or "").strip():
        raise Malformed(
            "Say how the escalation was resolved (a comment).",
        )
    if watches_member(escalation.kind):  # a late referral: the member's workplace's policy
        member = work.member(escalation.liaison_id)
        policy = work.policy(command.effective_date, member.workplace_unit_id)
        version = member.version
    else:
        liaison = work.liaison(escalation.liaison_id)
        policy = residence_policy(work, liaison)
        version = liaison.version
    escalation.resolve(work.stamp(policy), BOARD_RESOLUTION, version)
    return Decision([escalation], Outcome(escalation_id=escalation.id, resolved=True))


def _escalation(work: Work, command: SettleEscalation) -> Escalation:
    found = work.loaded_escalation(command.escalation_id)
    if found is None:
        raise no_such("escalation")
    return found


def _for_the_workflow(work: Work, command: TakeStep | ResolveEscalation) -> Iterator[Scope]:
    """Only the liaison workflow records the ladder, for a liaison it may watch (or, for a late
    referral, the member's workflow for a member of a workplace it may watch)."""
    if command.actor.id != SYSTEM_ACTOR_ID:
        raise OutOfScope(
            "Only the liaison workflow records escalations.",
        )
    kind = command.deadline.kind if isinstance(command, TakeStep) else command.kind
    if watches_member(kind):
        yield Scope((work.member(command.liaison_id).workplace_unit_id,), record="member")
        return
    state = work.liaison(command.liaison_id).state
    yield Scope((state.residence_commune_id,), record="liaison")


def _escalation_unit(work: Work, command: SettleEscalation) -> Iterator[Scope]:
    yield Scope((_escalation(work, command).unit_id,), record="escalation")


USES = (
    Use(take_step, Action.READ, _for_the_workflow, "The step was recorded.", surfaces=frozenset()),
    Use(resolve_escalation, Action.READ, _for_the_workflow,
        "The escalation was closed.", surfaces=frozenset(), slug="close-escalation"),
    Use(settle_escalation, Action.RESOLVE_ESCALATION, _escalation_unit,
        "The escalation was resolved.", slug="resolve-escalation"),
)  # fmt: skip
