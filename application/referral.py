"""Referral (giới thiệu) and its end: a member introduced to their residence, a liaison closed,
a move referred on at once."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from application.outcome import Outcome
from application.use import Use
from application.work import Decision, Scope, Work, liaison_scope, on_liaison
from domain import commands as cmd
from domain.errors import Malformed
from domain.liaison import Liaison
from domain.member import Member
from domain.roles import Action
from domain.stamp import Stamp
from domain.state import MOVES


def refer(work: Work, command: cmd.Refer) -> Decision:
    """Giới thiệu: refer a member to the commune/ward committee of their residence."""
    member = work.member(command.member_id)
    liaison_id = cmd.derived_id(command.command_id, "liaison")
    aggregates: list[BaseAggregate[UUID]] = []
    if command.predecessor_id is not None:
        predecessor = work.liaison(command.predecessor_id)
        if predecessor.state.member_id != member.id:
            raise Malformed(
                "The earlier liaison belongs to another member.",
            )
        predecessor.link_successor(_stamp(work, command.referral, member), liaison_id)
        aggregates.append(predecessor)
    referred = _referral(work, member, command.referral, liaison_id, command.predecessor_id)
    return Decision([*aggregates, *referred], Outcome(liaison_id=liaison_id))


def close(work: Work, command: cmd.Close) -> Decision:
    """End a liaison for a reason; a move may refer the member on at once.

    End a liaison; a move may at once refer the member to their new residence."""
    liaison = work.liaison(command.liaison_id)
    state = liaison.state
    stamp = work.stamp(work.policy(command.effective_date, state.workplace_unit_id))
    member = work.member(state.member_id)
    if command.successor is not None and command.reason not in MOVES:
        raise Malformed(
            "Only a move has a successor referral.",
        )
    successor_id = cmd.derived_id(command.command_id, "successor") if command.successor else None
    liaison.close(stamp, command.reason, successor_id)
    member.end_liaison(stamp, liaison.id)
    aggregates: list[BaseAggregate[UUID]] = [liaison, member]
    if command.successor is not None and successor_id is not None:
        # The closed liaison names its successor in Closed; the new one names it back.
        aggregates = [
            liaison,
            *_referral(work, member, command.successor, successor_id, liaison.id),
        ]
    return Decision(aggregates, Outcome(successor_id=successor_id))


def send_closing_slip(work: Work, command: cmd.SendClosingSlip) -> Decision:
    """Record the slips sent up after an expulsion, a removal from the rolls or a death.

    Record that the slips of a member expelled, removed or deceased went up."""
    liaison = work.liaison(command.liaison_id)
    liaison.send_closing_slip(
        work.stamp(work.policy(command.effective_date, liaison.state.workplace_unit_id))
    )
    return Decision([liaison])


def _referral(
    work: Work,
    member: Member,
    referral: cmd.Referral,
    liaison_id: UUID,
    predecessor_id: UUID | None,
) -> list[BaseAggregate[UUID]]:
    """The member's new liaison, from the workplace named (default theirs) to the commune."""
    workplace = _workplace(work, referral, member)
    commune = work.commune(referral.residence_commune_id)
    stamp = _stamp(work, referral, member)
    member.open_liaison(stamp, liaison_id, workplace)
    liaison = Liaison.refer(
        liaison_id,
        stamp,
        member_id=member.id,
        member_name=member.name,
        workplace_unit_id=workplace,
        residence_commune_id=commune.id,
        residence_kind=referral.residence_kind,
        predecessor_id=predecessor_id,
    )
    return [member, liaison]


def _workplace(work: Work, referral: cmd.Referral, member: Member) -> str:
    unit_id = referral.workplace_unit_id or member.workplace_unit_id
    return work.workplace(unit_id).id


def _stamp(work: Work, referral: cmd.Referral, member: Member) -> Stamp:
    return work.stamp(work.policy(work.command.effective_date, _workplace(work, referral, member)))


def _referring(work: Work, command: cmd.Refer) -> Iterator[Scope]:
    """The member's workplace as stored, first; naming another workplace moves the member, which
    only someone acting for both (their common superior) may do."""
    member = work.member(command.member_id)
    yield Scope((member.workplace_unit_id,), record="member")
    yield Scope((_workplace(work, command.referral, member),))


def _closing(work: Work, command: cmd.Close) -> Iterator[Scope]:
    yield liaison_scope(work, command.liaison_id, "workplace")
    if command.successor is not None:
        member = work.member(work.liaison(command.liaison_id).state.member_id)
        yield Scope((_workplace(work, command.successor, member),))


USES = (
    Use(refer, Action.REFER, _referring, "The referral was recorded."),
    Use(close, Action.CLOSE, _closing, "The liaison was closed."),
    Use(send_closing_slip, Action.SEND_CLOSING_SLIP, on_liaison("workplace"),
        "The closing slips were recorded as sent."),
)  # fmt: skip
