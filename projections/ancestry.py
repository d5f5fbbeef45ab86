"""Pure: the organisation tree flattened to (unit, ancestor, depth, period) rows for roll-ups, and
the SQL that finds a subtree in them."""

from __future__ import annotations

from datetime import date

from domain.errors import UnknownUnit
from domain.organisation import OrganisationTree

AncestryRow = tuple[str, str, int, date, date | None]


def ancestry_rows(tree: OrganisationTree) -> list[AncestryRow]:
    """For every unit id ever recorded: the chain `tree.ancestors(id, d)` over each period it holds.

    A row (u, a, depth, from, until) says that on any date in [from, until) a fact recorded
    against unit id u rolls up into a (depth 0 is the unit in force that carries u).
    """
    bounds = sorted(
        {u.valid_from for u in tree} | {u.valid_until for u in tree if u.valid_until is not None}
    )
    rows: list[AncestryRow] = []
    for unit in tree:
        current: tuple[str, ...] | None = None
        since: date | None = None
        for i, start in enumerate(bounds):
            try:
                chain = tuple(u.id for u in tree.ancestors(unit.id, start))
            except UnknownUnit:
                chain = None
            if chain != current:
                if current is not None and since is not None:
                    rows.extend(_chain_rows(unit.id, current, since, start))
                current, since = chain, start
            if i == len(bounds) - 1 and current is not None and since is not None:
                rows.extend(_chain_rows(unit.id, current, since, None))
    return rows


def _chain_rows(
    unit_id: str, chain: tuple[str, ...], since: date, until: date | None
) -> list[AncestryRow]:
    return [(unit_id, ancestor, depth, since, until) for depth, ancestor in enumerate(chain)]


def in_force(unit: str = "$1", on: str = "$2") -> str:
    """The unit in force on a date that carries a unit id (itself, or what it merged into): SQL
    taking both as parameters."""
    return (
        f"SELECT r.ancestor_id FROM unit_ancestry r WHERE r.unit_id = {unit} AND r.depth = 0"
        f" AND r.valid_from <= {on} AND (r.valid_until IS NULL OR {on} < r.valid_until)"
    )


def rolling_into(ancestor: str, on: str = "$2") -> str:
    """SQL: the ancestry rows `a` of the unit ids rolling into the unit `ancestor` on a date."""
    return (
        f"SELECT a.unit_id FROM unit_ancestry a WHERE a.ancestor_id = {ancestor}"
        f" AND a.valid_from <= {on} AND (a.valid_until IS NULL OR {on} < a.valid_until)"
    )


def subtree(unit: str = "$1", on: str = "$2") -> str:
    """The unit ids (as recorded, old or new) that roll up into the unit in force on a date: SQL
    taking both as parameters (an id may come twice, as `IN` does not mind)."""
    return rolling_into(f"({in_force(unit, on)})", on)
