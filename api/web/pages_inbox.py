"""The inbox pages: open escalations (resolving one), the workflows' notices, the audit trail."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Desk, ReadsDep
from api.i18n import language_of
from api.messages import inbox
from api.reads import AuditQuery, BoardReads
from api.routes_audit import member_trail
from api.routes_queries import scope_of
from api.users import Session
from api.web.forms import FormPage, may_send
from api.web.pages_board import Text, parsed
from api.web.render import WebDesk, WebSession, page

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


async def _inbox(
    desk: Desk, reads: BoardReads, session: Session, request: Request
) -> dict[str, Any]:
    scope = await scope_of(desk, session.user.unit_id, None, None, None)
    return {
        "rows": await reads.escalations(scope),
        "may_resolve": may_send(session, "resolve-escalation"),
        "today": desk.today(),
    }


@router.get("/escalations")
async def escalations() -> RedirectResponse:
    """Open escalations addressed to the user's subtree (the form page that resolves them)."""
    return RedirectResponse("/forms/escalations", status_code=307)


@router.get("/notifications")
async def notifications(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep
) -> HTMLResponse:
    """What the user's subtree was told, one digest per unit and day: the workflows' notices
    (reminders, missed deadlines, escalations) and what became of the members it referred."""
    scope = await scope_of(desk, session.user.unit_id, None, None, None)
    rows, results = await asyncio.gather(reads.notifications(scope), reads.results(scope))
    digests = await inbox(rows, results, language_of(request), desk.office)
    return page(request, "notifications.html", session, digests=digests)


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


PAGES = (FormPage("escalations", "escalations.html", _inbox, ("resolve-escalation",)),)
