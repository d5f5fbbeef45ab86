"""The organisation tree: units with effective periods, parents and successors (merges, renames)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.errors import Malformed, UnknownUnit
from domain.messages import UnitRef


class UnitKind(StrEnum):
    """Kinds of party organisation that take part in residence liaison."""

    PROVINCIAL_COMMITTEE = "provincial_committee"
    DISTRICT_COMMITTEE = "district_committee"  # abolished on 1 July 2025
    COMMUNE_COMMITTEE = "commune_committee"
    RESIDENCE_CELL = "residence_cell"
    WORKPLACE_COMMITTEE = "workplace_committee"
    WORKPLACE_CELL = "workplace_cell"


WORKPLACE_KINDS = frozenset({UnitKind.WORKPLACE_COMMITTEE, UnitKind.WORKPLACE_CELL})


class Unit(BaseModel):
    """One organisation unit as it stood during its effective period [valid_from, valid_until)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    kind: UnitKind
    parent_id: str | None = None
    valid_from: date
    valid_until: date | None = None
    successor_id: str | None = None

    def in_force_on(self, on: date) -> bool:
        """True when the unit existed on that date."""
        return self.valid_from <= on and (self.valid_until is None or on < self.valid_until)


def not_in_force(unit_id: str, on: date) -> UnknownUnit:
    """The refusal of a board asked for a unit on a date it was not in force (CLI and API)."""
    return UnknownUnit("The unit {unit} is not in force on {day}.", unit=UnitRef(unit_id), day=on)


MANY_DATES = 32
"""The most dates a tree keeps its children index for (a board asks a handful)."""


class OrganisationTree:
    """An immutable view of all units, answering scope questions for any date."""

    def __init__(self, units: Iterable[Unit] = ()) -> None:
        # A tree is never changed: `with_unit` makes a new one that shares `_base` with this
        # one and holds the units added or replaced since in `_recent`, folded into a new base
        # once they number about the square root of the base. Replaying a province's 30,000
        # unit events then costs seconds, not the 46 s of copying every unit at each event.
        self._base: dict[str, Unit] = {unit.id: unit for unit in units}
        self._recent: dict[str, Unit] = {}
        self._added = 0  # units of `_recent` not in `_base`
        self._below: dict[date, dict[str, list[Unit]]] = {}  # children by parent, per date

    def __deepcopy__(self, memo: dict[int, object]) -> OrganisationTree:
        # Never changed, so a copy is itself: the library deep-copies the organisation
        # aggregate for every unit command (0.45 s of copying 28,688 units, and the index).
        return self

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._recent or unit_id in self._base

    def __iter__(self) -> Iterator[Unit]:
        recent = self._recent
        yield from (recent.get(unit_id, unit) for unit_id, unit in self._base.items())
        yield from (unit for unit_id, unit in recent.items() if unit_id not in self._base)

    def __len__(self) -> int:
        return len(self._base) + self._added

    def unit(self, unit_id: str) -> Unit:
        """The unit with that id, whatever its period; refuses an unknown id."""
        found = self._recent.get(unit_id)
        if found is None:
            found = self._base.get(unit_id)
        if found is None:
            raise UnknownUnit("There is no organisation unit {unit}.", unit=UnitRef(unit_id))
        return found

    def itself_in_force(self, unit_id: str, on: date) -> Unit:
        """The unit with that id, refused unless it is itself in force on that date (a board of
        a unit merged since, or not yet established, has nothing to show then)."""
        unit = self.unit(unit_id)
        if not unit.in_force_on(on):
            raise not_in_force(unit_id, on)
        return unit

    def in_force(self, unit_id: str, on: date) -> Unit:
        """The unit that carries `unit_id`'s responsibilities on that date, following successors."""
        unit = self.unit(unit_id)
        seen = {unit.id}
        while unit.valid_until is not None and on >= unit.valid_until:
            if unit.successor_id is None:
                break
            unit = self.unit(unit.successor_id)
            if unit.id in seen:
                raise Malformed("The organisation tree has a cycle of successors.")
            seen.add(unit.id)
        if not unit.in_force_on(on):
            raise UnknownUnit(
                "The unit {unit} is not in force on {day}.", unit=UnitRef(unit_id), day=on
            )
        return unit

    def ancestors(self, unit_id: str, on: date) -> list[Unit]:
        """The unit in force on that date, then its parent, up to the root."""
        chain = [self.in_force(unit_id, on)]
        while chain[-1].parent_id is not None:
            chain.append(self.in_force(chain[-1].parent_id, on))
            if len(chain) > 64:
                raise Malformed("The organisation tree has a cycle of parents.")
        return chain

    def is_within(self, unit_id: str, root_id: str, on: date) -> bool:
        """Is unit X within the subtree of Y on date D (both followed to their units in force)?"""
        try:
            root = self.in_force(root_id, on)
            return any(unit.id == root.id for unit in self.ancestors(unit_id, on))
        except UnknownUnit:
            return False

    def nearest(self, unit_id: str, kind: UnitKind, on: date) -> Unit | None:
        """The closest unit of that kind among the unit and its ancestors on that date."""
        return next((u for u in self.ancestors(unit_id, on) if u.kind == kind), None)

    def province_of(self, unit_id: str, on: date) -> Unit:
        """The root of the unit's tree on that date."""
        return self.ancestors(unit_id, on)[-1]

    def children(self, unit_id: str, on: date) -> list[Unit]:
        """Units whose parent is this unit on that date, by name."""
        return list(self._children_on(on).get(unit_id, ()))

    def _children_on(self, on: date) -> dict[str, list[Unit]]:
        """Every unit in force on that date under the unit carrying its parent then, by name:
        worked out once per date (the tree does not change), so that an outline of a province
        of 30,000 units reads each unit once rather than every unit for each."""
        below = self._below.get(on)
        if below is None:
            below = {}
            for u in sorted(self, key=lambda u: (u.name, u.id)):
                if u.in_force_on(on) and u.parent_id is not None:
                    below.setdefault(self.in_force(u.parent_id, on).id, []).append(u)
            if len(self._below) >= MANY_DATES:
                self._below.clear()
            self._below[on] = below
        return below

    def parent_on(self, unit: Unit, on: date) -> Unit | None:
        """The unit carrying the unit's parent on that date (a merged commune's successor)."""
        return None if unit.parent_id is None else self.in_force(unit.parent_id, on)

    def outline(self, root_id: str, on: date, levels: int = 64) -> list[tuple[int, Unit]]:
        """The root's unit in force on that date and every unit under it then down to `levels`
        below, depth first (children by name), each with its depth below the root."""
        found: list[tuple[int, Unit]] = []
        stack = [(0, self.in_force(root_id, on))]
        below = self._children_on(on)
        while stack:
            depth, unit = stack.pop()
            found.append((depth, unit))
            if depth < levels:
                stack.extend((depth + 1, child) for child in reversed(below.get(unit.id, ())))
        return found

    def with_unit(self, unit: Unit) -> OrganisationTree:
        """A new tree with this unit added or replaced (this one unchanged)."""
        if (len(self._recent) + 1) ** 2 > len(self._base):
            return OrganisationTree([*self, unit])
        tree = OrganisationTree()
        tree._base = self._base
        tree._recent = {**self._recent, unit.id: unit}
        new = unit.id not in self._base and unit.id not in self._recent
        tree._added = self._added + new
        return tree
