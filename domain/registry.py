"""Aggregates for reference data: the organisation tree, policy overrides, command receipts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import BaseAggregate

from domain.errors import Duplicate, Malformed, UnknownUnit, WrongState
from domain.events import Creation, Recorded
from domain.messages import UnitRef
from domain.organisation import OrganisationTree, Unit, UnitKind
from domain.policy import PolicyOverride, validate_override
from domain.stamp import Stamp

REGISTRY_NAMESPACE = UUID("0b7e3c55-4f6e-4c1d-8f0a-5a3e9d2c7b10")
ORGANISATION_ID = uuid5(REGISTRY_NAMESPACE, "organisation")
REGULATION_BOOK_ID = uuid5(REGISTRY_NAMESPACE, "regulation-book")
INSTALLATION_ID = uuid5(REGISTRY_NAMESPACE, "installation")
LEGACY_MEMBER_NAMESPACE = UUID("6f1c9f0e-2d4b-4a53-9a51-8d1f3f1e2a01")
"""The public namespace member ids were derived in before December 2026 (kept by older stores)."""


def receipt_id_for(command_id: UUID) -> UUID:
    """The receipt of a command lives at an id derived from the command id."""
    return uuid5(REGISTRY_NAMESPACE, f"receipt:{command_id}")


class Started(Creation):
    """A reference-data aggregate came into being (empty)."""

    def apply(self, aggregate: Any) -> None:
        aggregate.tree = OrganisationTree()
        aggregate.overrides = ()


class UnitEstablished(Recorded):
    """A unit was entered in the tree, with its effective period and parent."""

    unit: Unit

    def apply(self, aggregate: Any) -> None:
        aggregate.tree = aggregate.tree.with_unit(self.unit)


class UnitsSucceeded(Recorded):
    """Units ended on a date and a successor took over (a merge, or a rename of one unit)."""

    predecessor_ids: tuple[str, ...]
    successor: Unit

    def apply(self, aggregate: Any) -> None:
        tree: OrganisationTree = aggregate.tree.with_unit(self.successor)
        for unit_id in self.predecessor_ids:
            ended = tree.unit(unit_id).model_copy(
                update={"valid_until": self.successor.valid_from, "successor_id": self.successor.id}
            )
            tree = tree.with_unit(ended)
        aggregate.tree = tree


class UnitEnded(Recorded):
    """A unit ended on a date with no successor (its cells, if any, end or move first)."""

    unit_id: str
    valid_until: date

    def apply(self, aggregate: Any) -> None:
        tree: OrganisationTree = aggregate.tree
        ended = tree.unit(self.unit_id).model_copy(update={"valid_until": self.valid_until})
        aggregate.tree = tree.with_unit(ended)


TREE_EVENTS = (UnitEstablished, UnitsSucceeded, UnitEnded)
"""The events that change the organisation tree (each applies itself to a holder of `tree`)."""

CELL_KINDS = frozenset({UnitKind.RESIDENCE_CELL, UnitKind.WORKPLACE_CELL})


class Organisation(BaseAggregate[UUID]):
    """The whole organisation tree of the store, as one versioned record."""

    tree: OrganisationTree

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def start(cls) -> Organisation:
        """The empty tree."""
        return cls._create(Started, id=ORGANISATION_ID)

    def establish(self, stamp: Stamp, unit: Unit) -> None:
        """Enter a unit; its parent must exist when it begins."""
        if unit.id in self.tree:
            raise Duplicate("The unit {unit} already exists.", unit=UnitRef(unit.id))
        self._placed(unit)
        self.trigger_event(UnitEstablished, unit=unit, **stamp.fields())

    def _placed(self, unit: Unit) -> None:
        """Refuse a new unit that names a successor, ends before it begins, or sits under a cell
        or a parent not in force when it begins."""
        if unit.successor_id is not None:
            raise Malformed("A new unit has no successor yet.")
        if unit.valid_until is not None and unit.valid_until <= unit.valid_from:
            raise Malformed("A unit cannot end on or before the day it begins ({day}).",
                            day=unit.valid_from)  # fmt: skip
        if unit.parent_id is not None:
            parent = self.tree.in_force(unit.parent_id, unit.valid_from)
            if parent.kind in CELL_KINDS:
                raise Malformed("{unit} is a cell: no unit sits under a cell.",
                                unit=UnitRef(parent.id))  # fmt: skip

    def end(self, stamp: Stamp, unit_id: str, on: date) -> None:
        """End a unit on a date (its first day out of force), with no successor."""
        unit = self.tree.unit(unit_id)
        if unit.valid_until is not None:
            raise UnknownUnit("The unit {unit} is not in force on {day}.", unit=UnitRef(unit_id),
                              day=on)  # fmt: skip
        if on <= unit.valid_from:
            raise Malformed("A unit cannot end on or before the day it begins ({day}).",
                            day=unit.valid_from)  # fmt: skip
        if self.tree.children(unit.id, on):  # none may be left without a parent then
            raise Malformed("{unit} still has units under it on that date: merge or end them"
                            " first.", unit=UnitRef(unit_id))  # fmt: skip
        self.trigger_event(UnitEnded, unit_id=unit_id, valid_until=on, **stamp.fields())

    def succeed(self, stamp: Stamp, predecessor_ids: tuple[str, ...], successor: Unit) -> None:
        """Merge or rename: the predecessors end where the successor begins."""
        if not predecessor_ids or len(set(predecessor_ids)) != len(predecessor_ids):
            raise Malformed("Name each unit that ends once.")
        for unit_id in predecessor_ids:
            unit = self.tree.unit(unit_id)
            if unit.valid_until is not None or not unit.in_force_on(successor.valid_from):
                raise UnknownUnit(
                    "The unit {unit} is not in force on {day}.",
                    unit=UnitRef(unit_id),
                    day=successor.valid_from,
                )
            if unit.kind is not successor.kind:
                raise Malformed("{unit} can only be succeeded by a unit of its own kind.",
                                unit=UnitRef(unit_id))  # fmt: skip
        if successor.id in self.tree:
            raise Duplicate("The unit {unit} already exists.", unit=UnitRef(successor.id))
        self._placed(successor)
        self.trigger_event(
            UnitsSucceeded, predecessor_ids=predecessor_ids, successor=successor, **stamp.fields()
        )


def _same_key(a: PolicyOverride, b: PolicyOverride) -> bool:
    return (a.province_id, a.setting, a.effective_from) == (
        b.province_id,
        b.setting,
        b.effective_from,
    )


class PolicyOverridden(Recorded):
    """A province changed one default setting from a date (replacing its own of that date)."""

    override: PolicyOverride

    def apply(self, aggregate: Any) -> None:
        kept = tuple(o for o in aggregate.overrides if not _same_key(o, self.override))
        aggregate.overrides = (*kept, self.override)


class PolicyOverrideWithdrawn(Recorded):
    """A province withdrew its change of a setting from a date: the default (or an earlier
    override) governs again from that date."""

    province_id: str
    setting: str
    effective_from: date

    def apply(self, aggregate: Any) -> None:
        aggregate.overrides = tuple(
            o
            for o in aggregate.overrides
            if (o.province_id, o.setting, o.effective_from)
            != (self.province_id, self.setting, self.effective_from)
        )


class RegulationBook(BaseAggregate[UUID]):
    """The recorded overrides of policy defaults, by province."""

    overrides: tuple[PolicyOverride, ...]

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def start(cls) -> RegulationBook:
        """The book with no overrides."""
        return cls._create(Started, id=REGULATION_BOOK_ID)

    def override(self, stamp: Stamp, override: PolicyOverride) -> None:
        """Record a province's override; the same one again is a duplicate."""
        value = validate_override(override.setting, override.value)
        override = override.model_copy(update={"value": value})
        if override in self.overrides:
            raise Duplicate(
                "This change of a deadline is already recorded for {unit} from {day}.",
                unit=UnitRef(override.province_id),
                day=override.effective_from,
            )
        self.trigger_event(PolicyOverridden, override=override, **stamp.fields())

    def withdraw(self, stamp: Stamp, province_id: str, setting: str, effective_from: date) -> None:
        """Withdraw a recorded override; refuse one that is not recorded."""
        if not any(
            (o.province_id, o.setting, o.effective_from) == (province_id, setting, effective_from)
            for o in self.overrides
        ):
            raise WrongState(
                "No change of this deadline is recorded for {unit} from {day}.",
                unit=UnitRef(province_id),
                day=effective_from,
            )
        self.trigger_event(
            PolicyOverrideWithdrawn,
            province_id=province_id,
            setting=setting,
            effective_from=effective_from,
            **stamp.fields(),
        )

    def for_province(self, province_id: str) -> tuple[PolicyOverride, ...]:
        """The overrides recorded for that province, by setting and date."""
        return tuple(
            sorted(
                (o for o in self.overrides if o.province_id == province_id),
                key=lambda o: (o.setting, o.effective_from),
            )
        )


BULK_IMPORT = "BulkImport"
"""The kind of the receipts the bulk import writes, one per save."""

Covered = tuple[UUID, int, int]
"""Events a receipt answers for: an aggregate id and the first and last of its versions."""


def covered_by(aggregates: Sequence[Any]) -> tuple[Covered, ...]:
    """The versions each aggregate is about to record (its pending events), in save order."""
    out: list[Covered] = []
    for aggregate in aggregates:
        versions = [e.originator_version for e in aggregate.pending_events]
        if versions:
            out.append((aggregate.id, min(versions), max(versions)))
    return tuple(out)


class ReceiptRecorded(Creation):
    """A command was carried out; its result is kept so a retry returns the same.

    `events` names every event saved with it (the seal's verification finds an event that no
    receipt names); receipts recorded before December 2026 name none and answer for the events
    that carry their command id."""

    command_id: UUID
    kind: str
    fingerprint: str
    result: dict[str, str]
    effective_date: date | None = None
    events: tuple[Covered, ...] = ()

    def apply(self, aggregate: Any) -> None:
        aggregate.kind = self.kind
        aggregate.fingerprint = self.fingerprint
        aggregate.result = self.result


class CommandReceipt(BaseAggregate[UUID]):
    """Idempotency: one receipt per command id, written in the same save as the command's events."""

    kind: str
    fingerprint: str
    result: dict[str, str]

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def issue(
        cls,
        command_id: UUID,
        kind: str,
        fingerprint: str,
        result: dict[str, str],
        events: tuple[Covered, ...] = (),
    ) -> CommandReceipt:
        """A receipt for a command that was just carried out, naming the events it saved."""
        return cls._create(
            ReceiptRecorded,
            id=receipt_id_for(command_id),
            command_id=command_id,
            kind=kind,
            fingerprint=fingerprint,
            result=result,
            events=events,
        )

    @classmethod
    def part(
        cls, receipt_id: UUID, command_id: UUID, kind: str, events: tuple[Covered, ...]
    ) -> CommandReceipt:
        """A receipt for one save that is not a whole command's: an access record, the store's
        key, a bulk import's batch, or the first saves of a command too large for one."""
        return cls._create(
            ReceiptRecorded,
            id=receipt_id,
            command_id=command_id,
            kind=kind,
            fingerprint="",
            result={},
            events=events,
        )


class InstallationKeyed(Creation):
    """The store's own secret namespace for ids derived from party cards (never shown)."""

    namespace: UUID

    def apply(self, aggregate: Any) -> None:
        aggregate.namespace = self.namespace


class Installation(BaseAggregate[UUID]):
    """What makes this store's derived ids its own: a namespace nobody outside can guess.

    Member ids are derived from party card numbers so that registering twice is harmless; with a
    public namespace anyone holding a card number could name the member's record."""

    namespace: UUID

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def key(cls, namespace: UUID) -> Installation:
        """Record the store's namespace (once, when the store first needs it)."""
        return cls._create(InstallationKeyed, id=INSTALLATION_ID, namespace=namespace)
