"""The year's forms: assess the cell's members in one screen, confirm and report back, requests."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

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
)
from api.web.render import CheckedForm, WebDesk, WebSession, page
from domain import commands as cmd
from domain.roles import Action
from domain.state import Stage

router = APIRouter(prefix="/forms", include_in_schema=False)


def _year(raw: object, desk: Desk) -> int:
    text = str(raw or "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else desk.today().year


async def _assessable(desk: Desk, reads: ReadsDep, session: Session, year: int) -> dict[str, Any]:
    states = await states_in_scope(desk, reads, session)
    members = [
        s for s in states
        if s.cell_received_on is not None and s.stage is not Stage.CLOSED
        and not s.is_exempt_from_activities
    ]  # fmt: skip
    return {
        "members": sorted(members, key=lambda s: s.member_name),
        "year": year,
        "policy": policy_here(desk, session),
        "today": desk.today(),
    }


@router.get("/assess")
async def assess_form(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep
) -> HTMLResponse:
    """Every member of the cell for the year, each with the grades of the regulation in force."""
    context = await _assessable(desk, reads, session, _year(request.query_params.get("year"), desk))
    return page(request, "assess.html", session, new_id=uuid4(), **context)


@router.post("/assess")
async def assess(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep, form: CheckedForm
) -> HTMLResponse:
    """Record each graded member's assessment (one command each, ids derived from the form's)."""
    year = _year(form.get("year"), desk)
    calls: list[Call] = []
    for key, grade in form.multi_items():
        if not key.startswith("grade_") or not grade:
            continue
        liaison_id = key[6:]
        payload = {
            "command_id": command_id(form, liaison_id), "actor": session.user.actor,
            "effective_date": form_day(form, desk), "liaison_id": liaison_id, "year": year,
            "grade": grade, "comment": form.get(f"comment_{liaison_id}") or None,
            "front_committee_representative": form.get("front_committee_representative") or None,
        }  # fmt: skip
        calls.append((
            lambda p=payload: desk.office.assess(cmd.parse_command(cmd.Assess, p)),  # type: ignore[misc]
            "Assess", liaison_id,
        ))  # fmt: skip
    done, errors = await attempt(desk, language_of(request), calls, reads)
    context = await _assessable(desk, reads, session, year)
    return outcome(request, "assess.html", session, done, errors, **context)


async def _reports(desk: Desk, reads: ReadsDep, session: Session, year: int) -> dict[str, Any]:
    states = await states_in_scope(desk, reads, session)
    rows = [(s, a) for s in states if (a := s.assessment(year)) is not None]
    return {
        "rows": sorted(rows, key=lambda r: r[0].member_name),
        "year": year,
        "may_confirm": may_do(session, Action.CONFIRM_ASSESSMENT),
        "may_report": may_do(session, Action.REPORT_BACK),
        "policy": policy_here(desk, session),
        "today": desk.today(),
    }


@router.get("/report")
async def report_form(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep
) -> HTMLResponse:
    """The year's assessments: confirm, report back, or (workplace) see what came back."""
    context = await _reports(desk, reads, session, _year(request.query_params.get("year"), desk))
    return page(request, "report.html", session, new_id=uuid4(), **context)


@router.post("/report")
async def report(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep, form: CheckedForm
) -> HTMLResponse:
    """Confirm an assessment or report it back."""
    year = _year(form.get("year"), desk)
    kind = cmd.ConfirmAssessment if form.get("step") == "confirm" else cmd.ReportBack
    use_case = (
        desk.office.confirm_assessment if kind is cmd.ConfirmAssessment else desk.office.report_back
    )
    payload = {
        "command_id": command_id(form), "actor": session.user.actor,
        "effective_date": form_day(form, desk), "liaison_id": form.get("liaison_id"), "year": year,
    }  # fmt: skip
    call: Call = (
        lambda: use_case(cmd.parse_command(kind, payload)),  # type: ignore[arg-type]
        kind.__name__,
        str(form.get("liaison_id")),
    )
    done, errors = await attempt(desk, language_of(request), [call], reads)
    context = await _reports(desk, reads, session, year)
    return outcome(request, "report.html", session, done, errors, **context)


async def _requests(desk: Desk, reads: ReadsDep, session: Session) -> dict[str, Any]:
    states = await states_in_scope(desk, reads, session)
    open_ = [s for s in states if s.stage is not Stage.CLOSED]
    pending = [(s, r) for s in open_ for r in s.requests if r.provided_on is None]
    return {
        "liaisons": sorted(open_, key=lambda s: s.member_name),
        "pending": pending,
        "purposes": list(cmd.RequestPurpose),
        "may_request": may_do(session, Action.REQUEST_ASSESSMENT),
        "may_provide": may_do(session, Action.PROVIDE_ASSESSMENT),
        "policy": policy_here(desk, session),
        "today": desk.today(),
    }


@router.get("/requests")
async def requests_form(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep
) -> HTMLResponse:
    """On-demand assessments: ask (workplace) or answer (residence)."""
    context = await _requests(desk, reads, session)
    return page(request, "requests.html", session, new_id=uuid4(), **context)


@router.post("/requests")
async def answer_or_ask(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep, form: CheckedForm
) -> HTMLResponse:
    """Ask for an assessment (with a purpose) or answer one (with a grade)."""
    payload = {
        "command_id": command_id(form), "actor": session.user.actor,
        "effective_date": form_day(form, desk), "liaison_id": form.get("liaison_id"),
    }  # fmt: skip
    target = str(form.get("liaison_id"))
    if form.get("request_id"):
        answer = {
            **payload,
            "request_id": form.get("request_id"),
            "grade": form.get("grade") or None,
        }
        provide = desk.office.provide_assessment
        call: Call = (
            lambda: provide(cmd.parse_command(cmd.ProvideAssessment, answer)),
            "ProvideAssessment", target,
        )  # fmt: skip
    else:
        ask = {**payload, "purpose": form.get("purpose")}
        call = (
            lambda: desk.office.request_assessment(cmd.parse_command(cmd.RequestAssessment, ask)),
            "RequestAssessment", target,
        )  # fmt: skip
    done, errors = await attempt(desk, language_of(request), [call], reads)
    context = await _requests(desk, reads, session)
    return outcome(request, "requests.html", session, done, errors, **context)
