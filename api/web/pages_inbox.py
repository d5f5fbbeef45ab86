"""The inbox pages: open escalations (resolving one), the workflows' notices, the audit trail."""

from __future__ import annotations

import asyncio
import functools
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from babel.messages.pofile import read_po
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api import i18n
from api.deps import Desk, ReadsDep
from api.i18n import language_of
from api.messages import inbox
from api.reads import AuditQuery, BoardReads
from api.routes_audit import member_trail
from api.routes_queries import scope_of
from api.users import Session
from api.web.forms import FormPage, here, may_send, units_beneath
from api.web.pages_board import Text, parsed
from api.web.render import WebDesk, WebSession, page, unit_choices

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


ESCALATIONS_SHOWN = PAGE_SIZE
"""Open escalations the escalations page draws, due earliest first (a province's may be tens of
thousands); the rest are counted, and the units beneath offered to narrow the page to one."""


async def _inbox(
    desk: Desk, reads: BoardReads, session: Session, request: Request
) -> dict[str, Any]:
    at = await here(desk, request)
    found = await reads.first_escalations(at.scope, ESCALATIONS_SHOWN)
    more = found.total > len(found.rows)
    units = []
    if more:  # a province's are worked out already, to choose from
        units = at.beneath or await desk.call(lambda: units_beneath(desk.office.tree(), at.scope))
    return {
        "here": at,
        "rows": found.rows,
        "total": found.total,
        "units": units,
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


HIDDEN_UNLESS_ASKED = ("SignedIn",)
"""Event kinds the board's trail leaves out unless asked for: sign-ins are most of its rows."""


@functools.cache
def event_kinds() -> tuple[str, ...]:
    """Every event kind the board has words for (the `event` labels of the catalogue)."""
    path = i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / "labels.po"
    with path.open("rb") as po:
        return tuple(str(m.id) for m in read_po(po) if m.context == "event" and m.id)


def until(raw: str | None) -> datetime | None:
    """The end of a "recorded until" filter: a bare date means the end of that day."""
    moment = parsed(raw, datetime)
    if moment is not None and raw is not None and len(raw) == len("2026-12-31"):
        return moment + timedelta(days=1, microseconds=-1)
    return moment


@router.get("/audit")
async def audit(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep,
    unit: str | None = None, member: UUID | None = None, actor: Text = None,
    kind: Text = None, recorded_from: Text = None, recorded_to: Text = None,
    sign_ins: bool = False, after: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:  # fmt: skip
    """A page of the audit trail of a unit's subtree (default: the user's) or of one member,
    of one kind of event and recorded between two dates if asked; sign-ins only when asked."""
    query = AuditQuery(
        actor_id=actor or None, recorded_from=parsed(recorded_from, datetime),
        recorded_to=until(recorded_to), event=kind or None,
        hidden=() if sign_ins or kind else HIDDEN_UNLESS_ASKED, after=after, limit=PAGE_SIZE,
    )  # fmt: skip
    named = None
    if member is not None:
        scope, query = await member_trail(desk, member, query)
        named = (await desk.call(desk.office.member, member)).name
    else:
        scope = await scope_of(desk, unit or session.user.unit_id, None, None, None)
    found = await reads.audit(scope, query)
    filters = {
        "unit": None if member else scope.unit_id, "member": member, "actor": actor,
        "kind": kind, "recorded_from": recorded_from, "recorded_to": recorded_to,
        "sign_ins": "1" if sign_ins else None,
    }  # fmt: skip
    kept = {k: str(v) for k, v in filters.items() if v}
    language = language_of(request)
    kinds = sorted(event_kinds(), key=lambda e: i18n.label("event", e, language))
    today, root = desk.today(), session.user.unit_id
    tree = await desk.call(desk.office.tree)
    units = await desk.call(unit_choices, tree, root, scope.unit_id, today)
    return page(
        request, "audit.html", session, rows=found.rows, scope=scope, member=member,
        member_name=named, filters=kept, kinds=kinds, units=units,
        readable=lambda unit_id: tree.is_within(unit_id, root, today),
        first=f"/audit?{urlencode(kept)}" if after is not None else None,
        next=f"/audit?{urlencode({**kept, 'after': found.next_after})}"
        if found.next_after is not None else None,
    )  # fmt: skip


PAGES = (FormPage("escalations", "escalations.html", _inbox, ("resolve-escalation",), guard=here),)
