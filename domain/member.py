"""The Member aggregate: who the member is, any exemption from introduction, their open liaison."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import BaseAggregate

from domain.deadlines import Deadline, referral_deadline
from domain.errors import Duplicate, Malformed, WrongState
from domain.events import Creation, Recorded
from domain.policy import Policy
from domain.stamp import Stamp

MINIMUM_AGE = 18
"""Party members are admitted from the age of 18 (Điều lệ Đảng, Article 1)."""


def member_id_for(namespace: UUID, party_card_number: str) -> UUID:
    """A member's id, derived from the party card in the store's own secret namespace.

    Registering the same card twice names the same record; without the namespace (kept in the
    store, see `Installation`) nobody can compute the id from a card number."""
    return uuid5(namespace, party_card_number.strip().upper())


def old_enough(birth_date: date, on: date) -> bool:
    """True when someone born on `birth_date` has reached the minimum age by `on`."""
    years = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return years >= MINIMUM_AGE


class MemberRegistered(Recorded, Creation):
    """A working member was entered in Liaison by their workplace committee."""

    name: str
    birth_date: date
    party_card_number: str
    citizen_id: str | None = None
    workplace_unit_id: str

    def apply(self, aggregate: Any) -> None:
        aggregate.name = self.name
        aggregate.birth_date = self.birth_date
        aggregate.party_card_number = self.party_card_number
        aggregate.workplace_unit_id = self.workplace_unit_id
        aggregate.registered_on = self.effective_date
        aggregate.exemption = None
        aggregate.open_liaison_id = None
        aggregate.liaison_ids = []


class ExemptedFromIntroduction(Recorded):
    """Miễn giới thiệu: no liaison is opened while this stands."""

    reason: str

    def apply(self, aggregate: Any) -> None:
        aggregate.exemption = self.reason


class IntroductionExemptionLifted(Recorded):
    """The exemption from introduction ended; the member can be referred."""

    def apply(self, aggregate: Any) -> None:
        aggregate.exemption = None


class LiaisonOpened(Recorded):
    """The member was referred; names the liaison and the referring workplace."""

    liaison_id: UUID
    workplace_unit_id: str

    def apply(self, aggregate: Any) -> None:
        aggregate.open_liaison_id = self.liaison_id
        aggregate.workplace_unit_id = self.workplace_unit_id
        aggregate.liaison_ids = [*aggregate.liaison_ids, self.liaison_id]


class LiaisonEnded(Recorded):
    """The open liaison closed."""

    liaison_id: UUID

    def apply(self, aggregate: Any) -> None:
        aggregate.open_liaison_id = None


class WorkplaceChanged(Recorded):
    """The member moved to another workplace (chuyển nơi công tác) between liaisons."""

    workplace_unit_id: str

    def apply(self, aggregate: Any) -> None:
        aggregate.workplace_unit_id = self.workplace_unit_id


class Member(BaseAggregate[UUID]):
    """Đảng viên đang công tác: a member who works at an agency or enterprise."""

    name: str
    birth_date: date
    party_card_number: str
    workplace_unit_id: str
    registered_on: date
    exemption: str | None
    open_liaison_id: UUID | None
    liaison_ids: list[UUID]

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def register(
        cls,
        stamp: Stamp,
        *,
        member_id: UUID,
        name: str,
        birth_date: date,
        party_card_number: str,
        citizen_id: str | None,
        workplace_unit_id: str,
    ) -> Member:
        """Enter a member, identified by their party card number."""
        if birth_date > stamp.effective_date:
            refusal = Malformed("The date of birth {day} lies in the future.", day=birth_date)
            refusal.field = "birth_date"
            raise refusal
        if not old_enough(birth_date, stamp.effective_date):
            raise Malformed(
                "A member must be at least {age} years old (born on {day}).",
                age=MINIMUM_AGE,
                day=birth_date,
            )
        return cls._create(
            MemberRegistered,
            id=member_id,
            name=name,
            birth_date=birth_date,
            party_card_number=party_card_number,
            citizen_id=citizen_id,
            workplace_unit_id=workplace_unit_id,
            **stamp.fields(),
        )

    def referral_due(self, policy: Policy) -> Deadline | None:
        """The referral this member awaits: none once referred or exempted from introduction."""
        if self.liaison_ids or self.exemption is not None:
            return None
        return referral_deadline(self.id, self.workplace_unit_id, self.registered_on, policy)

    def exempt_from_introduction(self, stamp: Stamp, reason: str, policy: Policy) -> None:
        """Decide not to introduce the member to their residence."""
        if self.exemption is not None:
            raise Duplicate("{member} is already exempt from introduction.", member=self.name)
        if self.open_liaison_id is not None:
            raise WrongState("{member} has already been referred.", member=self.name)
        policy.exemption(reason, from_activities=False)
        self.trigger_event(ExemptedFromIntroduction, reason=reason, **stamp.fields())

    def lift_introduction_exemption(self, stamp: Stamp) -> None:
        """End the exemption from introduction."""
        if self.exemption is None:
            raise WrongState("{member} is not exempt from introduction.", member=self.name)
        self.trigger_event(IntroductionExemptionLifted, **stamp.fields())

    def open_liaison(self, stamp: Stamp, liaison_id: UUID, workplace_unit_id: str) -> None:
        """Note a new referral; a member has at most one open liaison."""
        if self.exemption is not None:
            raise WrongState("{member} is exempt from introduction.", member=self.name)
        if self.open_liaison_id is not None:
            raise Duplicate("{member} already has an open liaison.", member=self.name)
        self.trigger_event(
            LiaisonOpened,
            liaison_id=liaison_id,
            workplace_unit_id=workplace_unit_id,
            **stamp.fields(),
        )

    def transfer(self, stamp: Stamp, workplace_unit_id: str) -> None:
        """Move the member to another workplace; an open liaison ends with a move instead."""
        if workplace_unit_id == self.workplace_unit_id:
            raise Duplicate("{member} already works there.", member=self.name)
        if self.open_liaison_id is not None:
            raise WrongState(
                "{member} has an open liaison: close it as a move to the new workplace.",
                member=self.name,
            )
        self.trigger_event(WorkplaceChanged, workplace_unit_id=workplace_unit_id, **stamp.fields())

    def end_liaison(self, stamp: Stamp, liaison_id: UUID) -> None:
        """Note that the open liaison closed."""
        if self.open_liaison_id == liaison_id:
            self.trigger_event(LiaisonEnded, liaison_id=liaison_id, **stamp.fields())
