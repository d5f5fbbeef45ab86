"""The inbox pages: open escalations (resolving one), the workflows' notices, the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.deps import ReadsDep
from api.i18n import language_of, word
from api.messages import notices, said
from api.reads import AuditQuery
from api.routes_audit import member_trail
from api.routes_commands import resolution
from api.routes_queries import scope_of
from api.schemas import ResolveEscalationBody
from api.web.forms import command_id, form_day, may_do
from api.web.pages_board import Text, parsed
from api.web.render import CheckedForm, WebDesk, WebSession, page
from domain.errors import Refused
from domain.roles import Action

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


async def _inbox(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep, status: int = 200,
    message: str | None = None, error: str | None = None,
) -> HTMLResponse:  # fmt: skip
    scope = await scope_of(desk, session.user.unit_id, None, None, None)
    return page(
        request, "escalations.html", session, status, rows=await reads.escalations(scope),
        may_resolve=may_do(session, Action.RESOLVE_ESCALATION), new_id=uuid4(),
        today=desk.today(), message=message, error=error,
    )  # fmt: skip


@router.get("/escalations")
async def escalations(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep
) -> HTMLResponse:
    """Open escalations addressed to the user's subtree; a superior board may resolve them."""
    return await _inbox(request, session, desk, reads)


@router.post("/escalations/resolve")
async def resolve(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep, form: CheckedForm
) -> HTMLResponse:
    """Resolve one escalation with the comment given; the inbox again, with the outcome."""
    language = language_of(request)
    try:
        body = ResolveEscalationBody(
            command_id=command_id(form), effective_date=form_day(form, desk),
            escalation_id=UUID(str(form.get("escalation_id"))),
            comment=str(form.get("comment") or ""),
        )  # fmt: skip
    except (ValueError, ValidationError):
        text = "Hãy ghi rõ cách giải quyết." if language == "vi" else "Say how it was resolved."
        return await _inbox(request, session, desk, reads, 422, error=text)
    try:
        target = str(body.escalation_id)
        await desk.command(lambda: resolution(desk, body), "ResolveEscalation", target)
    except Refused as refusal:
        error = await said(request, refusal)
        return await _inbox(request, session, desk, reads, 409, error=error)
    await desk.settled(reads)  # the inbox drawn next no longer lists it
    return await _inbox(request, session, desk, reads, message=word("saved", language))


@router.get("/notifications")
async def notifications(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep
) -> HTMLResponse:
    """The newest notices the workflows queued for the user's subtree (from their outbox)."""
    scope = await scope_of(desk, session.user.unit_id, None, None, None)
    rows = await notices(await reads.notifications(scope), language_of(request), desk.office)
    return page(request, "notifications.html", session, rows=rows)


@router.get("/audit")
async def audit(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep,
    unit: str | None = None, member: UUID | None = None, actor: Text = None,
    recorded_from: Text = None, recorded_to: Text = None,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:  # fmt: skip
    """A page of the audit trail of a unit's subtree (default: the user's) or of one member."""
    query = AuditQuery(
        actor_id=actor or None, recorded_from=parsed(recorded_from, datetime),
        recorded_to=parsed(recorded_to, datetime), after=after, limit=PAGE_SIZE,
    )  # fmt: skip
    if member is not None:
        scope, query = await member_trail(desk, member, query)
    else:
        scope = await scope_of(desk, unit or session.user.unit_id, None, None, None)
    found = await reads.audit(scope, query)
    filters = {
        "unit": None if member else scope.unit_id, "member": member, "actor": actor,
        "recorded_from": recorded_from, "recorded_to": recorded_to,
    }  # fmt: skip
    kept = {k: str(v) for k, v in filters.items() if v}
    return page(
        request, "audit.html", session, rows=found.rows, scope=scope, member=member, filters=kept,
        first=f"/audit?{urlencode(kept)}" if after is not None else None,
        next=f"/audit?{urlencode({**kept, 'after': found.next_after})}"
        if found.next_after is not None else None,
    )  # fmt: skip
