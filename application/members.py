"""Members of a workplace: registering them, and moving one to another workplace."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from application.outcome import Outcome
from application.use import Use
from application.work import Decision, Scope, Work
from domain import commands as cmd
from domain.errors import Duplicate
from domain.member import Member
from domain.roles import Action


def register_member(work: Work, command: cmd.RegisterMember) -> Decision:
    """Enter a working member of your workplace (the party card identifies them)."""
    unit = work.workplace(command.workplace_unit_id)
    member_id = work.office.member_id_for(command.party_card_number)
    if work.existing(member_id):
        raise Duplicate(
            "Party card {card} is already registered.",
            card=command.party_card_number,
        )
    member = Member.register(
        work.stamp(work.policy(command.effective_date, unit.id)),
        member_id=member_id,
        name=command.name,
        birth_date=command.birth_date,
        party_card_number=command.party_card_number,
        citizen_id=command.citizen_id,
        workplace_unit_id=unit.id,
    )
    return Decision([member], Outcome(member_id=member.id))


def transfer_member(work: Work, command: cmd.TransferMember) -> Decision:
    """Move a member to another workplace (their common superior decides).

    Move a member between workplaces (chuyển nơi công tác)."""
    member = work.member(command.member_id)
    unit = work.workplace(command.workplace_unit_id)
    member.transfer(work.stamp(work.policy(command.effective_date, unit.id)), unit.id)
    return Decision([member], Outcome(member_id=member.id))


def _workplace(work: Work, command: cmd.RegisterMember) -> Sequence[Scope]:
    unit = work.workplace(command.workplace_unit_id)
    return [Scope((unit.id,))]


def _both_workplaces(work: Work, command: cmd.TransferMember) -> Iterator[Scope]:
    """The member's workplace as stored (first), then the new one: their common superior."""
    yield Scope((work.member(command.member_id).workplace_unit_id,), record="member")
    unit = work.workplace(command.workplace_unit_id)
    yield Scope((unit.id,))


USES = (
    Use(register_member, Action.REGISTER_MEMBER, _workplace, "The member was registered."),
    Use(transfer_member, Action.REGISTER_MEMBER, _both_workplaces,
        "The member was moved to the new workplace."),
)  # fmt: skip
