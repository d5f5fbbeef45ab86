"""Reference data and members: the organisation tree, policy overrides, registering members."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import BaseAggregate

from domain import commands as cmd
from domain.access_office import AccessDesk
from domain.errors import Duplicate, Malformed
from domain.escalation_office import EscalationDesk
from domain.member import Member
from domain.organisation import WORKPLACE_KINDS, Unit, UnitKind
from domain.policy import PolicyOverride, policy_in_force, validate_override
from domain.registry import ORGANISATION_ID, REGULATION_BOOK_ID, Organisation, RegulationBook
from domain.roles import Action, Role, authorise, require_role

Saved = tuple[list[BaseAggregate[UUID]], dict[str, str]]


class Registration(EscalationDesk, AccessDesk):
    """Use cases of administrators and workplace committees that set the stage for liaisons."""

    def establish_unit(self, command: cmd.EstablishUnit) -> str:
        """Enter an organisation unit in the tree."""

        def decide(today: date) -> Saved:
            require_role(command.actor, Action.MANAGE_ORGANISATION)
            organisation = self._writable(ORGANISATION_ID, Organisation.start)
            organisation.establish(self._stamp(command, policy_in_force(today)), command.unit)
            self._authorise_admin(command, today, organisation, command.unit)  # before any save
            return [organisation], {"unit_id": command.unit.id}

        return self._execute(command, decide)["unit_id"]

    def succeed_units(self, command: cmd.SucceedUnits) -> str:
        """Merge or rename units from a date: the predecessors end, the successor begins."""

        def decide(today: date) -> Saved:
            require_role(command.actor, Action.MANAGE_ORGANISATION)
            organisation = self._writable(ORGANISATION_ID, Organisation.start)
            organisation.succeed(
                self._stamp(command, policy_in_force(today)),
                command.predecessor_ids,
                command.successor,
            )
            self._authorise_admin(command, today, organisation, command.successor)  # before save
            return [organisation], {"unit_id": command.successor.id}

        return self._execute(command, decide)["unit_id"]

    def override_policy(self, command: cmd.OverridePolicy) -> None:
        """Record a province's change to a default deadline, from the command's date."""

        def decide(today: date) -> Saved:
            self._authorise(command, Action.OVERRIDE_POLICY, today, command.province_id)
            province = self.tree().in_force(command.province_id, today)
            self._require_kind(
                province.id, province.kind is UnitKind.PROVINCIAL_COMMITTEE, "provincial committee"
            )
            book = self._writable(REGULATION_BOOK_ID, RegulationBook.start)
            validate_override(command.setting, command.value)  # before PolicyOverride coerces it
            override = PolicyOverride(
                province_id=command.province_id,
                setting=command.setting,
                value=command.value,
                effective_from=command.effective_date,
            )
            book.override(self._stamp(command, policy_in_force(command.effective_date)), override)
            return [book], {}

        self._execute(command, decide)

    # Members (workplace committees).

    def register_member(self, command: cmd.RegisterMember) -> UUID:
        """Enter a working member; the party card number identifies them."""

        def decide(today: date) -> Saved:
            unit = self.tree().in_force(command.workplace_unit_id, command.effective_date)
            self._require_kind(unit.id, unit.kind in WORKPLACE_KINDS, "workplace unit")
            self._authorise(command, Action.REGISTER_MEMBER, today, unit.id)
            member_id = self.member_id_for(command.party_card_number)
            if self._exists(member_id):
                raise cmd_duplicate(command.party_card_number)
            member = Member.register(
                self._stamp(command, self.policy(command.effective_date, unit.id)),
                member_id=member_id,
                name=command.name,
                birth_date=command.birth_date,
                party_card_number=command.party_card_number,
                citizen_id=command.citizen_id,
                workplace_unit_id=unit.id,
            )
            return [member], {"member_id": str(member.id)}

        return UUID(self._execute(command, decide)["member_id"])

    def transfer_member(self, command: cmd.TransferMember) -> None:
        """Move a member between workplaces: who decides must act for both (chuyển nơi công tác)."""

        def decide(today: date) -> Saved:
            member = self.member_aggregate(command.member_id)
            self._authorise_record(
                command, Action.REGISTER_MEMBER, today, "member", member.workplace_unit_id
            )
            unit = self.tree().in_force(command.workplace_unit_id, command.effective_date)
            self._require_kind(unit.id, unit.kind in WORKPLACE_KINDS, "workplace unit")
            self._authorise(command, Action.REGISTER_MEMBER, today, unit.id)
            policy = self.policy(command.effective_date, unit.id)
            member.transfer(self._stamp(command, policy), unit.id)
            return [member], {}

        self._execute(command, decide)

    def exempt_from_introduction(self, command: cmd.ExemptFromIntroduction) -> None:
        """Decide that a member is not introduced to their residence (miễn giới thiệu)."""

        def decide(today: date) -> Saved:
            member = self.member_aggregate(command.member_id)
            self._authorise_record(
                command, Action.EXEMPT_FROM_INTRODUCTION, today, "member", member.workplace_unit_id
            )
            policy = self.policy(command.effective_date, member.workplace_unit_id)
            member.exempt_from_introduction(self._stamp(command, policy), command.reason, policy)
            return [member], {}

        self._execute(command, decide)

    def lift_introduction_exemption(self, command: cmd.LiftIntroductionExemption) -> None:
        """End a member's exemption from introduction."""

        def decide(today: date) -> Saved:
            member = self.member_aggregate(command.member_id)
            self._authorise_record(
                command, Action.EXEMPT_FROM_INTRODUCTION, today, "member", member.workplace_unit_id
            )
            policy = self.policy(command.effective_date, member.workplace_unit_id)
            member.lift_introduction_exemption(self._stamp(command, policy))
            return [member], {}

        self._execute(command, decide)

    def _exists(self, aggregate_id: UUID) -> bool:
        return aggregate_id in self.repository

    def _writable(self, aggregate_id: UUID, start: Any) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return start()

    def _authorise_admin(
        self, command: cmd.Command, today: date, organisation: Organisation, unit: Unit
    ) -> None:
        """Administrators change only their own subtree, as it stood when the unit begins."""
        tree = organisation.tree
        if len(tree) == 0 and command.actor.role is Role.ADMINISTRATOR:
            return  # the first unit of an empty store is the administrator's own province
        own = tree.in_force(command.actor.unit_id, today)
        if unit.parent_id is None and own.parent_id is None:
            # A province beside one's own: only a top-level administrator may open it.
            authorise(command.actor, Action.MANAGE_ORGANISATION, (own.id,), tree, today)
            return
        anchor = unit.parent_id or unit.id
        authorise(command.actor, Action.MANAGE_ORGANISATION, (anchor,), tree, unit.valid_from)

    @staticmethod
    def _require_kind(unit_id: str, ok: bool, expected: str) -> None:
        if not ok:
            raise Malformed(f"{unit_id} is not a {expected}.", f"{unit_id} không phải {expected}.")


def cmd_duplicate(party_card_number: str) -> Duplicate:
    """The refusal for registering a party card number twice."""
    return Duplicate(
        f"Party card {party_card_number} is already registered.",
        f"Thẻ đảng viên {party_card_number} đã được đăng ký.",
    )
