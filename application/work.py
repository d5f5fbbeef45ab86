"""One command's unit of work: what it loads (each record once), its date, policy and stamp."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import BaseAggregate

from domain import commands as cmd
from domain.cell_book import CellBook, cell_book_id
from domain.errors import HiddenRecord, Malformed, OutOfScope, UnknownMember, no_such
from domain.escalation import Escalation, escalation_id
from domain.liaison import Liaison
from domain.meeting import Meeting
from domain.member import Member
from domain.messages import UnitRef
from domain.organisation import WORKPLACE_KINDS, OrganisationTree, Unit, UnitKind
from domain.policy import Policy, policy_in_force
from domain.registry import RegulationBook
from domain.roles import Action, authorise, may, require_role
from domain.stamp import Stamp

if TYPE_CHECKING:
    from application.office import LiaisonOffice

A = TypeVar("A")


@dataclass(frozen=True)
class Scope:
    """One thing a command must be allowed on: any of `units` within the actor's subtree.

    With `record`, the units were read from a stored record of that kind: an actor who cannot even
    read it (none of `seen_from`, default `units`, in their subtree) is told it does not exist."""

    units: tuple[str, ...]
    record: str | None = None
    seen_from: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class Decision:
    """What a handler decided: the aggregates with new events, and what the caller is told."""

    aggregates: list[BaseAggregate[UUID]]
    outcome: Any = None
    beside: Callable[[], None] | None = None
    """What to carry out beside the store just before the events are saved (never again for a
    command id already recorded): an account's row, say."""


class Work:
    """A command being carried out: the office, the command, today, and the records it loaded."""

    def __init__(
        self,
        office: LiaisonOffice,
        command: cmd.Command,
        today: date,
        following: Work | None = None,
        unopened: Callable[[UUID], bool] | None = None,
    ) -> None:
        """`following`: the work of the command before this one in a batch saved together
        (`LiaisonOffice.execute_together`): its tree and book, and the records it loaded or
        changed, as it left them. `unopened`: the escalations the caller knows were never
        opened, not looked up by a step that would open them (`escalation_to_open`): only for a
        batch, whose save fails on the id of one that was."""
        self.office, self.command, self.today = office, command, today
        self._unopened = unopened
        self._loaded: dict[UUID, Any] = {} if following is None else following._loaded
        self._tree: OrganisationTree | None = None if following is None else following._tree
        self._book: RegulationBook | None = None if following is None else following._book

    @property
    def tree(self) -> OrganisationTree:
        """The organisation tree as the store held it when the command first read it: one tree
        for the whole decision."""
        if self._tree is None:
            self._tree = self.office.tree()
        return self._tree

    @property
    def book(self) -> RegulationBook:
        """The provinces' policy overrides as the store held them when the command first read
        them: one book for the whole decision."""
        if self._book is None:  # the cached book is caught up in place: keep it as it is now
            self._book = copy.copy(self.office.regulation_book())
        return self._book

    # Records, each loaded once per command.

    def _get(self, kind: type[A], aggregate_id: UUID, what: str) -> A:
        found = self._loaded.get(aggregate_id)
        if found is None:
            try:
                found = self.office.repository.get(aggregate_id)
            except AggregateNotFoundError:
                found = None
        if not isinstance(found, kind):  # loaded as a record of another kind: still no such
            raise no_such(what)
        self._loaded[aggregate_id] = found
        return found

    def loaded(self, aggregate: BaseAggregate[UUID]) -> None:
        """Keep a record this work changed or created, for the commands that follow it."""
        self._loaded[aggregate.id] = aggregate

    def liaison(self, liaison_id: UUID) -> Liaison:
        """A liaison; an unknown id is refused."""
        return self._get(Liaison, liaison_id, "liaison")

    def member(self, member_id: UUID) -> Member:
        """A member; an unknown id is refused."""
        return self._get(Member, member_id, "member")

    def _maybe(self, kind: type[A], aggregate_id: UUID, what: str) -> A | None:
        try:
            return self._get(kind, aggregate_id, what)
        except UnknownMember:
            return None

    def loaded_escalation(self, aggregate_id: UUID) -> Escalation | None:
        """The escalation with this id, if there is one."""
        return self._maybe(Escalation, aggregate_id, "escalation")

    def escalation(self, liaison_id: UUID, kind: Any, subject: str) -> Escalation | None:
        """The escalation of a liaison's deadline, if one was opened."""
        return self.loaded_escalation(escalation_id(liaison_id, kind, subject))

    def escalation_to_open(self, liaison_id: UUID, kind: Any, subject: str) -> Escalation | None:
        """`escalation`, for a step that opens the escalation when there is none: None without a
        look-up for one the caller knows was never opened (`unopened`). Only such a step may ask:
        should the caller be wrong, the escalation it opens fails its batch's save on the id."""
        aggregate_id = escalation_id(liaison_id, kind, subject)
        if aggregate_id not in self._loaded and self._unopened and self._unopened(aggregate_id):
            return None
        return self.loaded_escalation(aggregate_id)

    def meeting(self, meeting_id: UUID) -> Meeting | None:
        """A meeting already recorded under this id (a retried command), else None."""
        return self._maybe(Meeting, meeting_id, "meeting")

    def cell_book(self, cell_id: str) -> CellBook | None:
        """The cell's book, if the cell has received anyone yet."""
        return self._maybe(CellBook, cell_book_id(cell_id), "meeting")

    def member_named(self) -> str | None:
        """The name of the member the command was about, as it loaded them (None: no member)."""
        c = self.command
        if isinstance(c, cmd.RegisterMember):
            return c.name
        liaison_id, member_id = getattr(c, "liaison_id", None), getattr(c, "member_id", None)
        liaison = self._loaded.get(liaison_id) if isinstance(liaison_id, UUID) else None
        if isinstance(liaison, Liaison):
            return liaison.state.member_name
        member = self._loaded.get(member_id) if isinstance(member_id, UUID) else None
        return member.name if isinstance(member, Member) else None

    def existing(self, aggregate_id: UUID) -> bool:
        """True when the store holds an aggregate with this id."""
        return aggregate_id in self._loaded or aggregate_id in self.office.repository

    def writable(self, aggregate_id: UUID, start: Any) -> Any:
        """A reference-data aggregate to change (a fresh copy), or a new one."""
        try:
            return self.office.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return start()

    # Policy and stamp.

    def policy(
        self, on: date, unit_id: str | None = None, province_on: date | None = None
    ) -> Policy:
        """The policy in force on a date for the unit's province (defaults without one)."""
        book = None if unit_id is None else self.book  # defaults need none
        return self.office.policy(on, unit_id, province_on=province_on, tree=self.tree, book=book)

    def stamp(self, policy: Policy) -> Stamp:
        """Who, which command, when, under which regulation, and why: for every event it makes."""
        # All but the regulation is the command's own (who, its id, its date, its comment).
        carried = {n: getattr(self.command, n) for n in Stamp.model_fields if n != "regulation"}
        return Stamp(**carried, regulation=policy.regulation)

    def stamp_today(self) -> Stamp:
        """The stamp under the regulation in force today, for what no province's policy governs
        (accounts, the organisation tree, the seal)."""
        return self.stamp(policy_in_force(self.today))

    def workplace(self, unit_id: str) -> Unit:
        """The workplace unit carrying `unit_id` on the command's date."""
        unit = self.tree.in_force(unit_id, self.command.effective_date)
        if unit.kind not in WORKPLACE_KINDS:
            raise Malformed("{unit} is not a workplace unit.", unit=UnitRef(unit.id))
        return unit

    def commune(self, unit_id: str) -> Unit:
        """The commune/ward committee carrying `unit_id` on the command's date."""
        unit = self.tree.in_force(unit_id, self.command.effective_date)
        if unit.kind is not UnitKind.COMMUNE_COMMITTEE:
            raise Malformed("{unit} is not a commune/ward committee.", unit=UnitRef(unit.id))
        return unit

    def province(self, unit_id: str) -> Unit:
        """The provincial committee carrying `unit_id` today."""
        unit = self.tree.in_force(unit_id, self.today)
        if unit.kind is not UnitKind.PROVINCIAL_COMMITTEE:
            raise Malformed("{unit} is not a provincial committee.", unit=UnitRef(unit.id))
        return unit

    # Authorisation, against every unit the command touches.

    def authorise(self, action: Action, scope: Scope) -> None:
        """Refuse unless the actor may do the action on one of the scope's units."""
        actor, tree = self.command.actor, self.tree
        tree.in_force(actor.unit_id, self.today)
        require_role(actor, action)
        try:
            authorise(actor, action, scope.units, tree, self.today)
        except OutOfScope:
            if scope.record is None:
                raise
            units = [u for u in scope.seen_from or scope.units if u]
            if any(may(actor, Action.READ, u, tree, self.today) for u in units):
                raise
            raise HiddenRecord(scope.record) from None


SIDES = ("workplace", "commune", "cell", "residence", "any")


def liaison_scope(work: Work, liaison_id: UUID, side: str) -> Scope:
    """The units of a liaison's side as stored: its workplace, commune, cell, or either end."""
    state = work.liaison(liaison_id).state
    residence = state.cell_id or state.residence_commune_id
    units = {
        "workplace": (state.workplace_unit_id,),
        "commune": (state.residence_commune_id,),
        "cell": (residence,),
        "residence": (residence,),
        "any": (state.workplace_unit_id, state.residence_commune_id),
    }[side]
    seen_from = (state.workplace_unit_id, state.residence_commune_id, state.cell_id)
    return Scope(units, record="liaison", seen_from=seen_from)


def on_liaison(side: str) -> Callable[[Work, Any], Sequence[Scope]]:
    """The scopes of a command on one liaison (`command.liaison_id`), from one of its sides."""
    assert side in SIDES

    def scopes(work: Work, command: Any) -> Sequence[Scope]:
        return [liaison_scope(work, command.liaison_id, side)]

    return scopes


def in_the_handler(work: Work, command: cmd.Command) -> Sequence[Scope]:
    """No scopes before the handler: it authorises the command itself, against what the command
    touches as it will stand (an account as the table holds it, the tree after a change)."""
    return []


def residence_policy(work: Work, liaison: Liaison, on: date | None = None) -> Policy:
    """The policy for a liaison's step: its residence's province, on the date (default the
    command's), with the province's overrides as they stood on the command's date."""
    day = work.command.effective_date
    return work.policy(on or day, liaison.state.residence_commune_id, province_on=day)
