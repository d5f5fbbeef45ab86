"""The year's form pages: assess the cell's members on one screen, confirm and report back, and
the on-demand requests."""

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
)
from domain import commands as cmd
from domain.state import LiaisonState, Stage


async def _year(desk: Desk, request: Request) -> int:
    """The year asked for (query or form), else this year."""
    raw = request.query_params.get("year") or (await request.form()).get("year")
    text = str(raw or "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else desk.today().year


async def _assessable(
    desk: Desk, reads: BoardReads, session: Session, request: Request
) -> dict[str, Any]:
    at = await here(desk, request)
    return {
        "here": at,
        "members": await by_name_here(reads, at, _in_the_cell),
        "year": await _year(desk, request),
        **await policy_and_today(desk, session),
    }


def _in_the_cell(state: LiaisonState) -> bool:
    """Received by the cell, not closed, not exempt from its activities: assessed by the cell."""
    return (
        state.cell_received_on is not None
        and state.stage is not Stage.CLOSED
        and not state.is_exempt_from_activities
    )


async def _reports(
    desk: Desk, reads: BoardReads, session: Session, request: Request
) -> dict[str, Any]:
    at = await here(desk, request)
    states = await states_here(reads, at)
    year = await _year(desk, request)
    rows = [(s, a) for s in states if (a := s.assessment(year)) is not None]
    return {
        "here": at,
        "rows": sorted(rows, key=lambda r: r[0].member_name),
        "year": year,
        "may_confirm": may_send(session, "confirm-assessment"),
        "may_report": may_send(session, "report-back"),
        **await policy_and_today(desk, session),
    }


async def _requests(
    desk: Desk, reads: BoardReads, session: Session, request: Request
) -> dict[str, Any]:
    at = await here(desk, request)
    states = await states_here(reads, at)
    open_ = [s for s in states if s.stage is not Stage.CLOSED]
    pending = [(s, r) for s in open_ for r in s.requests if r.provided_on is None]
    return {
        "here": at,
        "liaisons": sorted(open_, key=lambda s: s.member_name),
        "pending": pending,
        "purposes": list(cmd.RequestPurpose),
        "may_request": may_send(session, "request-assessment"),
        "may_provide": may_send(session, "provide-assessment"),
        **await policy_and_today(desk, session),
    }


PAGES = (
    FormPage("assess", "assess.html", _assessable, ("assess",), guard=here),
    FormPage("report", "report.html", _reports, ("confirm-assessment", "report-back"), guard=here),
    FormPage(
        "requests",
        "requests.html",
        _requests,
        ("request-assessment", "provide-assessment"),
        guard=here,
    ),
)
