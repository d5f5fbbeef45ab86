"""A signed-in person at the application: their commands and reads, each refusal audited once.

Every surface (the HTTP API, the board's forms, the CLI) acts through a desk, so that a refusal
is answered and audited alike wherever it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from uuid import UUID, uuid4

from application.office import LiaisonOffice, target_of
from application.outcome import Outcome
from application.views import MemberView, TimelineEntry
from domain import commands as cmd
from domain.deadlines import Deadline
from domain.errors import HiddenRecord, Refused, WrongState
from domain.roles import Action, Actor, authorise, may
from domain.state import LiaisonState

R = TypeVar("R")
C = TypeVar("C", bound=cmd.Command)


class Desk:
    """The office as one person uses it."""

    def __init__(self, office: LiaisonOffice, actor: Actor) -> None:
        self.office, self.actor = office, actor

    def today(self) -> date:
        """The business date today, by the office's clock."""
        return self.office.today()

    def run(self, call: Callable[[], R], action: str, target: str) -> R:
        """Run a call; audit a refusal the office has not audited itself."""
        try:
            return call()
        except Refused as refusal:
            if not refusal.audited:
                self.office.trail.refused(self.actor, action, target, refusal.audit_code)
                refusal.audited = True
            raise

    # Commands.

    def command(self, model: type[C], fields: dict[str, Any]) -> C:
        """Build a command from what the person sent; malformed input is refused and audited."""
        payload = {"command_id": uuid4(), **fields, "actor": self.actor}
        target = target_of(fields)
        return self.run(lambda: cmd.parse_command(model, payload), model.__name__, target)

    def execute(self, command: cmd.Command) -> Outcome:
        """Carry out a command as this person (the office audits its refusals)."""
        return self.run(lambda: self.office.execute(command), type(command).__name__, "")

    # Reads, each authorised against the units the record holds as stored.

    def may_read(
        self, *unit_ids: str, on: date | None = None, record: str = "", target: str = ""
    ) -> None:
        """Refuse (and audit) unless one of the units lies in the person's subtree.

        With `record` (the kind of record the units were read from, and `target` its id as the
        person sent it), the refusal is worded and audited as for a record that does not exist:
        "not yours" must not differ from "no such", nor name where another district's member is."""
        day = on or self.today()

        def check() -> None:
            tree = self.office.tree()
            for when in (day, self.today()):  # a unit merged since is still readable as it was
                if any(may(self.actor, Action.READ, u, tree, when) for u in unit_ids):
                    return
            if record:
                raise HiddenRecord(record)
            authorise(self.actor, Action.READ, unit_ids, tree, day)

        self.run(check, "read", target if record else ",".join(unit_ids))

    def member(self, member_id: UUID) -> MemberView:
        """A member's record, once the person may read a unit it concerns."""

        def units_of() -> tuple[MemberView, list[str]]:
            member = self.office.member(member_id)
            units = [member.workplace_unit_id]
            for liaison_id in member.liaison_ids:
                state = self.office.liaison(liaison_id).state
                units += [state.residence_commune_id, *([state.cell_id] if state.cell_id else [])]
            return member, units

        member, units = self.run(units_of, "read", str(member_id))
        self.may_read(*units, record="member", target=str(member_id))
        return member

    def member_by_card(self, card: str) -> MemberView:
        """A member found by party card, once the person may read them."""
        return self.member(self.run(lambda: self.office.member_id_for(card), "read", card))

    def reads(self, liaison_id: UUID) -> bool:
        """True when the person may read the liaison today: one of its units is in their subtree
        (a member's former residence reads its own liaison, not the member's new one)."""
        state = self.run(lambda: self.office.liaison(liaison_id).state, "read", str(liaison_id))
        tree, today = self.office.tree(), self.today()
        units = (state.workplace_unit_id, state.residence_commune_id, state.cell_id)
        return any(may(self.actor, Action.READ, u, tree, today) for u in units if u)

    def timeline(self, member_id: UUID) -> list[TimelineEntry]:
        """Every event of the member's liaisons the person may read, once they may read the
        member."""
        readable = {i for i in self.member(member_id).liaison_ids if self.reads(i)}
        entries = self.run(lambda: self.office.timeline(member_id), "read", str(member_id))
        return [e for e in entries if e.liaison_id in readable]

    def open_deadlines(self, member: MemberView) -> list[Deadline]:
        """What the member's open liaison awaits today, when the person may read it."""
        open_id = member.open_liaison_id
        if open_id is None or not self.reads(open_id):
            return []
        return self.run(lambda: self.office.deadlines(open_id, self.today()), "read", str(open_id))

    def liaison(self, liaison_id: UUID, on: date | None = None) -> LiaisonState:
        """A liaison's state (as it stood on a date), once the person may read it today."""
        now = self.run(lambda: self.office.liaison(liaison_id).state, "read", str(liaison_id))
        units = [now.workplace_unit_id, now.residence_commune_id, now.cell_id or ""]
        self.may_read(*[u for u in units if u], record="liaison", target=str(liaison_id))
        day = on or self.today()
        return self.run(
            lambda: self.office.state_of(liaison_id, as_of_date=day), "read", str(liaison_id)
        )

    def deadlines(self, liaison_id: UUID, on: date) -> list[Deadline]:
        """What a liaison the person may read awaits on a date."""
        self.liaison(liaison_id)
        return self.run(lambda: self.office.deadlines(liaison_id, on), "read", str(liaison_id))

    def open_liaison(self, member: MemberView) -> UUID:
        """The member's open liaison, else their latest; refused when never referred."""
        card = member.party_card_number

        def latest() -> UUID:
            if member.open_liaison_id is not None:
                return member.open_liaison_id
            if not member.liaison_ids:
                raise WrongState(
                    "Member {card} has not been referred.",
                    card=card,
                )
            return member.liaison_ids[-1]

        return self.run(latest, "read", card)
