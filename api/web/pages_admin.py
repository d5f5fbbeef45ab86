"""Administration pages: the accounts of one's subtree, and its organisation units.

Both are form pages bound to the registry's commands. The units page shows the tree on any date
and previews a merger before it is confirmed: which cells roll up under the new unit, with how
many members in liaison at each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from fastapi import Request

from api.deps import Desk
from api.reads import BoardReads, Scope
from api.users import Session, UserStore
from api.web.forms import FormPage, may_do
from api.web.render import units_on
from application.registry import Use
from domain.account import grantable, may_manage
from domain.organisation import OrganisationTree, Unit, UnitKind
from domain.registry import CELL_KINDS
from domain.roles import Action


@dataclass(frozen=True)
class Ending:
    """A unit a merger ends: the cells that roll up under the new unit, and their members."""

    unit: Unit
    cells: list[tuple[Unit, int]]
    members: int


async def _accounts(
    desk: Desk, reads: BoardReads, session: Session, request: Request
) -> dict[str, Any]:
    """The accounts the user manages (retired ones too), the roles and units they may give."""
    today, actor = desk.today(), session.user.actor
    users: UserStore = request.app.state.users
    everyone = await users.everyone()

    def visible() -> tuple[list[Any], list[Unit]]:
        tree = desk.office.tree()
        mine = [u for u in everyone if may_manage(actor, u, tree, today)]
        return mine, [unit for _, unit in units_on(tree, session.user.unit_id, today)]

    accounts, units = await desk.call(visible)
    return {
        "accounts": accounts,
        "units": units,
        "roles": grantable(actor),
        "may_manage": may_do(session, Action.MANAGE_USERS),
    }


async def _units(
    desk: Desk, reads: BoardReads, session: Session, request: Request
) -> dict[str, Any]:
    """The tree on the asked date (today by default), and a merger's preview when asked for."""
    today = desk.today()
    query = request.query_params
    on = _day(query.get("on")) or today
    tree = await desk.call(desk.office.tree)
    outline = units_on(tree, session.user.unit_id, on)
    current = units_on(tree, session.user.unit_id, today)
    preview = None
    if query.get("preview") and may_do(session, Action.MANAGE_ORGANISATION):
        preview = await _preview(desk, reads, session, tree, query)
    return {
        "outline": outline,
        "on": on,
        "today": today,
        "parents": [u for _, u in current if u.kind not in CELL_KINDS],
        "mergeable": [u for _, u in current if u.kind not in CELL_KINDS and u.parent_id],
        "endable": [u for _, u in current if u.parent_id],
        "cells": [u for _, u in current if u.kind in CELL_KINDS],
        "kinds": [k for k in UnitKind if k is not UnitKind.DISTRICT_COMMITTEE],
        "preview": preview,
        "asked": dict(query),
        "asked_predecessors": query.getlist("predecessor_ids"),
        "may_manage": may_do(session, Action.MANAGE_ORGANISATION),
    }


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


async def _preview(
    desk: Desk, reads: BoardReads, session: Session, tree: OrganisationTree, query: Any
) -> dict[str, Any]:
    """What a merger would roll up where: each ending unit's cells, with members in liaison."""
    begins = _day(query.get("successor.valid_from")) or desk.today()
    own = {u.id: u for _, u in units_on(tree, session.user.unit_id, desk.today())}
    ending = [own[u] for u in query.getlist("predecessor_ids") if u in own]  # nobody else's
    day_before, today = begins - timedelta(days=1), desk.today()
    counts: dict[str, int] = {}
    seen: set[UUID] = set()
    for unit in ending:  # the liaisons of the units merged, not of the whole province
        for state in await reads.states(Scope(unit_id=unit.id, year=today.year, on=today)):
            if state.cell_id and state.liaison_id not in seen:
                seen.add(state.liaison_id)
                counts[state.cell_id] = counts.get(state.cell_id, 0) + 1
    groups = []
    for unit in ending:
        cells = [
            child
            for _, child in units_on(tree, unit.id, day_before)
            if child.kind in CELL_KINDS and child.id != unit.id
        ]
        moving = [(cell, counts.get(cell.id, 0)) for cell in cells]
        groups.append(Ending(unit, moving, sum(n for _, n in moving)))
    return {
        "begins": begins,
        "name": query.get("successor.name", ""),
        "code": query.get("successor.id", ""),
        "parent": query.get("successor.parent_id", ""),
        "groups": groups,
        "cells": sum(len(g.cells) for g in groups),
        "members": sum(g.members for g in groups),
    }


async def _moved_cell(
    desk: Desk, session: Session, use: Use[Any], values: dict[str, Any]
) -> dict[str, Any]:
    """Moving a cell under another unit is its succession by a period of its own under the new
    parent: the same name and kind, a new code, from the date (the model mergers use)."""
    ending = values.get("predecessor_ids") or []
    if use.slug != "succeed-units" or len(ending) != 1 or values.get("successor.name"):
        return values
    tree = await desk.call(desk.office.tree)
    if ending[0] not in tree:
        return values  # refused by the command, as unknown
    cell = tree.unit(ending[0])
    return {"successor.name": cell.name, "successor.kind": cell.kind.value, **values}


PAGES = (
    FormPage(
        "users", "admin_users.html", _accounts,
        ("open-account", "reset-password", "reassign-account", "retire-account"),
    ),
    FormPage(
        "units", "admin_units.html", _units,
        ("establish-unit", "succeed-units", "end-unit"), prepare=_moved_cell,
    ),
)  # fmt: skip
