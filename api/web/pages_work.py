"""Daily-work form pages: refer a member, the receive queue, a meeting's tick-list."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.deps import Desk
from api.reads import BoardReads
from api.users import Session
from api.web.forms import (
    FormPage,
    by_name_here,
    here,
    may_send,
    policy_and_today,
    states_here,
    units_beneath,
)
from application.registry import Use
from domain.errors import UnknownMember, UnknownUnit
from domain.organisation import Unit, UnitKind
from domain.state import Attendance, LiaisonState, Stage


async def _refer(
    desk: Desk, reads: BoardReads, session: Session, request: Request
) -> dict[str, Any]:
    today = desk.today()

    def communes() -> list[Any]:
        kind = UnitKind.COMMUNE_COMMITTEE
        return [u for u in desk.office.tree() if u.kind is kind and u.in_force_on(today)]

    return {
        "communes": await desk.call(communes),
        "today": today,
        "policy": await desk.call(desk.office.policy, today),
    }


async def _register_if_new(
    desk: Desk, session: Session, use: Use[Any], values: dict[str, Any]
) -> dict[str, Any] | None:
    """The referral registers the member first when their card is new to the store."""
    if use.slug != "register-member":
        return values
    card = str(values.get("party_card_number") or "")
    member_id = await desk.call(desk.office.member_id_for, card) if card else None
    if member_id is not None:
        try:
            await desk.call(desk.office.member, member_id)
            return None  # registered already: the referral alone
        except UnknownMember:
            pass
    return {"workplace_unit_id": session.user.unit_id, **values}


async def _queue(
    desk: Desk, reads: BoardReads, session: Session, request: Request
) -> dict[str, Any]:
    at = await here(desk, request)
    states = await states_here(reads, at)
    today = desk.today()
    at_commune = [s for s in states if s.stage is Stage.REFERRED]

    def cells() -> dict[str, list[Unit]]:
        """The residence cells of each commune referred to, as it stands today (a commune
        merged since: the ward's, whose cells keep their old commune as parent)."""
        tree, found = desk.office.tree(), {}
        for commune in {s.residence_commune_id for s in at_commune}:
            try:
                carrying = tree.in_force(commune, today).id
            except UnknownUnit:  # ended with no successor: no cell to receive into
                continue
            below = tree.children(carrying, today)
            found[commune] = [u for u in below if u.kind is UnitKind.RESIDENCE_CELL]
        return found

    return {
        "here": at,
        "at_commune": at_commune,
        "at_cell": [s for s in states if s.stage is Stage.RECEIVED_BY_COMMUNE],
        "cells": await desk.call(cells),
        "may_commune": may_send(session, "receive-at-commune"),
        "may_cell": may_send(session, "receive-at-cell"),
        **await policy_and_today(desk, session),
    }


async def _roster(
    desk: Desk, reads: BoardReads, session: Session, request: Request
) -> dict[str, Any]:
    at = await here(desk, request)
    tree = await desk.call(desk.office.tree)
    unit = at.scope.unit_id
    cell = unit if tree.unit(unit).kind is UnitKind.RESIDENCE_CELL else None
    members = await by_name_here(reads, at, _at_meetings) if cell else []
    held = await reads.meetings(at.scope) if cell else []
    below = [] if cell or at.beneath else await desk.call(units_beneath, tree, at.scope)
    return {
        "here": at,
        "members": members,
        "cell": cell,
        "cells": [u for u in below if u.kind is UnitKind.RESIDENCE_CELL],
        "held": sorted(held, key=lambda m: m.held_on, reverse=True),
        "choices": list(Attendance),
        **await policy_and_today(desk, session),
    }


def _at_meetings(state: LiaisonState) -> bool:
    """Received by the cell, not closed, not exempt from its activities: expected at meetings."""
    return (
        state.stage not in (Stage.REFERRED, Stage.RECEIVED_BY_COMMUNE, Stage.CLOSED)
        and not state.is_exempt_from_activities
    )


async def _own_cell(
    desk: Desk, session: Session, use: Use[Any], values: dict[str, Any]
) -> dict[str, Any]:
    """A secretary records the meetings of their own cell (the page of another cell posts
    that cell's id)."""
    return {"cell_id": session.user.unit_id, **values}


PAGES = (
    FormPage("refer", "refer.html", _refer, ("register-member", "refer"), prepare=_register_if_new),
    FormPage(
        "receive", "receive.html", _queue, ("receive-at-commune", "receive-at-cell"), guard=here
    ),
    FormPage(
        "meeting", "meeting.html", _roster, ("record-meeting",), prepare=_own_cell, guard=here
    ),
)
