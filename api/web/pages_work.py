"""Daily-work forms: refer a member, the receive queue, a meeting's tick-list."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import Desk, ReadsDep
from api.i18n import language_of
from api.users import Session
from api.web.forms import (
    Call,
    attempt,
    command_id,
    form_day,
    may_do,
    outcome,
    policy_here,
    states_in_scope,
)  # fmt: skip
from api.web.render import CheckedForm, WebDesk, WebSession, page
from domain import commands as cmd
from domain.errors import UnknownMember
from domain.organisation import UnitKind
from domain.roles import Action
from domain.state import Attendance, Stage

router = APIRouter(prefix="/forms", include_in_schema=False)


def _refer_context(desk: Desk) -> dict[str, Any]:
    today = desk.today()
    communes = [
        u
        for u in desk.office.tree()
        if u.kind is UnitKind.COMMUNE_COMMITTEE and u.in_force_on(today)
    ]
    return {"communes": communes, "today": today, "policy": desk.office.policy(today)}


@router.get("/refer")
async def refer_form(request: Request, session: WebSession, desk: WebDesk) -> HTMLResponse:
    """Refer a member: register them if new, then introduce them to their residence."""
    return page(request, "refer.html", session, new_id=uuid4(), **_refer_context(desk))


@router.post("/refer")
async def refer(
    request: Request, session: WebSession, desk: WebDesk, form: CheckedForm
) -> HTMLResponse:
    """Record the registration (when new) and the referral, under the form's command id."""
    actor, day = session.user.actor, form_day(form, desk)
    card = str(form.get("party_card_number") or "").strip()
    member_id = desk.office.member_id_for(card) if card else uuid4()
    calls: list[Call] = []
    try:
        desk.office.member(member_id)
    except UnknownMember:
        register = {
            "command_id": command_id(form, "register"), "actor": actor, "effective_date": day,
            "name": form.get("name"), "birth_date": form.get("birth_date") or None,
            "party_card_number": card, "workplace_unit_id": session.user.unit_id,
        }  # fmt: skip
        calls.append((
            lambda: desk.office.register_member(cmd.parse_command(cmd.RegisterMember, register)),
            "RegisterMember", card,
        ))  # fmt: skip
    payload = {
        "command_id": command_id(form), "actor": actor, "effective_date": day,
        "member_id": member_id, "comment": form.get("comment") or None,
        "referral": {"residence_commune_id": form.get("residence_commune_id"),
                     "residence_kind": form.get("residence_kind") or "permanent"},
    }  # fmt: skip
    calls.append((lambda: desk.office.refer(cmd.parse_command(cmd.Refer, payload)), "Refer", card))
    done, errors = await attempt(desk, language_of(request), calls)
    return outcome(request, "refer.html", session, done, errors, **_refer_context(desk))


async def _queue(desk: Desk, reads: ReadsDep, session: Session) -> dict[str, Any]:
    states = await states_in_scope(desk, reads, session)
    today = desk.today()
    cells = [
        u for u in desk.office.tree() if u.kind is UnitKind.RESIDENCE_CELL and u.in_force_on(today)
    ]
    return {
        "at_commune": [s for s in states if s.stage is Stage.REFERRED],
        "at_cell": [s for s in states if s.stage is Stage.RECEIVED_BY_COMMUNE],
        "cells": cells,
        "may_commune": may_do(session, Action.RECEIVE_AT_COMMUNE),
        "may_cell": may_do(session, Action.RECEIVE_AT_CELL),
        "policy": policy_here(desk, session),
        "today": today,
    }


@router.get("/receive")
async def receive_queue(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep
) -> HTMLResponse:
    """Referrals waiting for the commune/ward committee or for the cell."""
    context = await _queue(desk, reads, session)
    return page(request, "receive.html", session, new_id=uuid4(), **context)


@router.post("/receive")
async def receive(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep, form: CheckedForm
) -> HTMLResponse:
    """Receive one referral: at the commune (assigning a cell) or at the cell."""
    liaison_id = str(form.get("liaison_id") or "")
    base = {
        "command_id": command_id(form), "actor": session.user.actor,
        "effective_date": form_day(form, desk), "liaison_id": liaison_id,
    }  # fmt: skip
    # Parsed inside the call, so that a malformed form is audited like any refusal.
    if form.get("cell_id"):
        at_commune = {**base, "cell_id": form.get("cell_id")}
        call: Call = (
            lambda: desk.office.receive_at_commune(
                cmd.parse_command(cmd.ReceiveAtCommune, at_commune)
            ),
            "ReceiveAtCommune",
            liaison_id,
        )
    else:
        call = (
            lambda: desk.office.receive_at_cell(cmd.parse_command(cmd.ReceiveAtCell, base)),
            "ReceiveAtCell",
            liaison_id,
        )
    done, errors = await attempt(desk, language_of(request), [call], reads)
    context = await _queue(desk, reads, session)
    return outcome(request, "receive.html", session, done, errors, **context)


async def _roster(desk: Desk, reads: ReadsDep, session: Session) -> dict[str, Any]:
    states = await states_in_scope(desk, reads, session)
    members = [
        s for s in states
        if s.stage not in (Stage.REFERRED, Stage.RECEIVED_BY_COMMUNE, Stage.CLOSED)
        and not s.is_exempt_from_activities
    ]  # fmt: skip
    return {
        "members": sorted(members, key=lambda s: s.member_name),
        "choices": list(Attendance),
        "policy": policy_here(desk, session),
        "today": desk.today(),
    }


@router.get("/meeting")
async def meeting_form(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep
) -> HTMLResponse:
    """A meeting's tick-list of the cell's working members."""
    context = await _roster(desk, reads, session)
    return page(request, "meeting.html", session, new_id=uuid4(), **context)


@router.post("/meeting")
async def record_meeting(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep, form: CheckedForm
) -> HTMLResponse:
    """Record the meeting with every listed member's attendance at once."""
    entries = []
    for key, value in form.multi_items():
        if key.startswith("att_"):
            reason = str(form.get(f"reason_{key[4:]}") or "") or None
            entries.append({"liaison_id": key[4:], "attendance": value, "absence_reason": reason})
    payload = {
        "command_id": command_id(form), "actor": session.user.actor,
        "effective_date": form_day(form, desk), "cell_id": session.user.unit_id,
        "ad_hoc": form.get("ad_hoc") == "on", "attendance": entries,
        "comment": form.get("comment") or None,
    }  # fmt: skip

    def run() -> UUID:
        return desk.office.record_meeting(cmd.parse_command(cmd.RecordMeeting, payload))

    done, errors = await attempt(desk, language_of(request), [(run, "RecordMeeting", "")], reads)
    context = await _roster(desk, reads, session)
    return outcome(request, "meeting.html", session, done, errors, **context)
