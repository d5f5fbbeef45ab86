"""Exemptions: from introduction (miễn giới thiệu) and from activities (miễn sinh hoạt)."""

from __future__ import annotations

from collections.abc import Sequence

from application.use import Use
from application.work import Decision, Scope, Work, on_liaison, residence_policy
from domain import commands as cmd
from domain.roles import Action


def exempt_from_introduction(work: Work, command: cmd.ExemptFromIntroduction) -> Decision:
    """Miễn giới thiệu: decide that a member is not introduced to their residence."""
    member = work.member(command.member_id)
    policy = work.policy(command.effective_date, member.workplace_unit_id)
    member.exempt_from_introduction(work.stamp(policy), command.reason, policy)
    return Decision([member])


def lift_introduction_exemption(work: Work, command: cmd.LiftIntroductionExemption) -> Decision:
    """End a member's exemption from introduction."""
    member = work.member(command.member_id)
    policy = work.policy(command.effective_date, member.workplace_unit_id)
    member.lift_introduction_exemption(work.stamp(policy))
    return Decision([member])


def exempt_from_activities(work: Work, command: cmd.ExemptFromActivities) -> Decision:
    """Miễn sinh hoạt: exempt a referred member from residence activities."""
    liaison = work.liaison(command.liaison_id)
    policy = residence_policy(work, liaison)
    liaison.exempt_from_activities(work.stamp(policy), command.reason, policy)
    return Decision([liaison])


def lift_activities_exemption(work: Work, command: cmd.LiftActivitiesExemption) -> Decision:
    """End an exemption from activities."""
    liaison = work.liaison(command.liaison_id)
    liaison.lift_activities_exemption(work.stamp(residence_policy(work, liaison)))
    return Decision([liaison])


def _member_workplace(
    work: Work, command: cmd.ExemptFromIntroduction | cmd.LiftIntroductionExemption
) -> Sequence[Scope]:
    return [Scope((work.member(command.member_id).workplace_unit_id,), record="member")]


USES = (
    Use(exempt_from_introduction, Action.EXEMPT_FROM_INTRODUCTION, _member_workplace,
        "The exemption from introduction was recorded."),
    Use(lift_introduction_exemption, Action.EXEMPT_FROM_INTRODUCTION, _member_workplace,
        "The exemption from introduction was lifted."),
    Use(exempt_from_activities, Action.EXEMPT_FROM_ACTIVITIES, on_liaison("workplace"),
        "The exemption from activities was recorded."),
    Use(lift_activities_exemption, Action.EXEMPT_FROM_ACTIVITIES, on_liaison("workplace"),
        "The exemption from activities was lifted."),
)  # fmt: skip
