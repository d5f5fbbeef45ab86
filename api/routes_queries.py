"""Read endpoints: the signed-in user, dashboard figures and their lists, members, liaisons."""

from __future__ import annotations

import asyncio
import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from api.deps import CurrentUser, Desk, DeskDep, ReadsDep, caught_up
from api.errors import ERROR_RESPONSES, BoardError
from api.i18n import language_of
from api.messages import notices
from api.reads import (
    EscalationRow,
    Figures,
    MeetingRow,
    Metric,
    NotificationRow,
    Row,
    Scope,
    SearchPage,
)
from api.users import UserPublic
from application.views import MemberView, TimelineEntry
from domain.calendar import in_vietnam
from domain.deadlines import Deadline
from domain.policy import EARLIEST_DAY
from domain.state import LiaisonState

router = APIRouter(
    prefix="/api", tags=["queries"], responses=ERROR_RESPONSES, dependencies=[Depends(caught_up)]
)

Year = Annotated[int | None, Query(ge=2000, le=2100, description="Default: the year of `on`")]
On = Annotated[
    date | None,
    Query(ge=EARLIEST_DAY, description="Business date the board is seen on; default today"),
]
RecordedBy = Annotated[
    datetime | None, Query(description="Only what had been recorded by then (inspections)")
]
Code = Annotated[
    str | None,
    Query(max_length=40, description="Only the members of this grade or reason (the list's code)"),
]

SEARCH_MAX_CHARS = 100
SearchText = Annotated[
    str,
    Query(
        max_length=SEARCH_MAX_CHARS,
        description="A name (with or without diacritics, its words in any order, the last one"
        " possibly half typed), a party card number or a citizen ID",
    ),
]
SearchLimit = Annotated[int, Query(ge=1, le=100, description="At most this many members")]


class FiguresPublic(BaseModel):
    """The dashboard of a unit: this period and the same period a year earlier."""

    current: Figures
    previous: Figures


class LiaisonPublic(BaseModel):
    """A liaison's state and what it awaits today."""

    state: LiaisonState
    stage: str
    deadlines: list[Deadline]


async def scope_of(
    desk: Desk, unit_id: str, year: int | None, on: date | None, recorded_by: datetime | None
) -> Scope:
    """The scope asked for, once the user may read the unit on that date."""
    day = min(on or desk.today(), desk.today())
    if day < EARLIEST_DAY:  # nothing to see, and a year before it may not exist (year 0)
        raise BoardError(
            422,
            "malformed",
            "Liaison records begin on {earlier}; choose a later date.",
            earlier=EARLIEST_DAY,
        )
    if recorded_by is not None:
        recorded_by = in_vietnam(recorded_by)
        if recorded_by.date() < EARLIEST_DAY:  # nothing was recorded before (its own zone's date)
            await desk.refused("read", unit_id, "malformed")
            raise BoardError(
                422,
                "malformed",
                "Liaison records begin on {earlier}; choose a later date.",
                earlier=EARLIEST_DAY,
            )
        recorded_by = min(recorded_by, datetime.now(UTC))  # a later time knows what now does
    await desk.may_read(unit_id, on=day)
    # As the CLI answers: a unit not in force that day is refused, not shown with zeros.
    await desk.call(lambda: desk.office.tree().itself_in_force(unit_id, day))
    return Scope(unit_id=unit_id, year=year or day.year, on=day, recorded_by=recorded_by)


@router.get("/me")
async def me(user: CurrentUser) -> UserPublic:
    """The signed-in user: name, role and the unit whose subtree they act for."""
    return user


@router.get("/units/{unit_id}/figures")
async def unit_figures(
    unit_id: str, desk: DeskDep, reads: ReadsDep, year: Year = None, on: On = None,
    recorded_by: RecordedBy = None,
) -> FiguresPublic:  # fmt: skip
    """The dashboard figures of the unit's subtree, beside the same period last year."""
    scope = await scope_of(desk, unit_id, year, on, recorded_by)
    current, previous = await asyncio.gather(reads.figures(scope), reads.figures(scope.previous()))
    return FiguresPublic(current=current, previous=previous)


PAGE = 1000
"""Rows in one answer of a long list (a province's open liaisons are hundreds of thousands)
unless asked otherwise (`?limit=`); the `Link` header gives the next page."""
Limit = Annotated[int, Query(ge=1, le=10_000, description="Rows in one answer")]
Cursor = Annotated[
    str | None, Query(max_length=2000, description="Where the `Link` header's next page begins")
]


def _link_next(request: Request, response: Response, **query: Any) -> None:
    """The `Link` header to the next page: this address with `query` changed, as a reference
    relative to it (RFC 8288), so that it holds behind a proxy the app sees another host from."""
    following = request.url.include_query_params(**query)
    response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'


@router.get("/units/{unit_id}/lists/{metric}")
async def unit_list(
    unit_id: str, metric: Metric, desk: DeskDep, reads: ReadsDep, request: Request,
    response: Response, year: Year = None, on: On = None, recorded_by: RecordedBy = None,
    code: Code = None, limit: Limit = PAGE,
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number")] = 1,
) -> list[Row]:  # fmt: skip
    """The members behind one dashboard figure (of one grade or reason, if `code` names one),
    a page at a time: when there are more, the `Link` header (`rel="next"`) gives the next."""
    scope = await scope_of(desk, unit_id, year, on, recorded_by)
    rows = await reads.rows(scope, metric, code, page, limit)
    if len(rows) > limit:
        _link_next(request, response, limit=limit, page=page + 1)
    return rows[:limit]


Paged = TypeVar("Paged")
Key = TypeVar("Key")


def _page(
    request: Request, response: Response, rows: list[Paged], limit: int,
    key: Callable[[Paged], tuple[Any, Any]],
) -> list[Paged]:  # fmt: skip
    """The first `limit` rows (of `limit` + 1 read), and when there were more, a `Link` header
    (`rel="next"`) to the page after the last, its cursor the last row's own `key` (nothing is
    looked up from a cursor, so one made up reveals nothing of rows the user may not read)."""
    if len(rows) <= limit:
        return rows
    token = urlsafe_b64encode(json.dumps([str(k) for k in key(rows[limit - 1])]).encode())
    _link_next(request, response, limit=limit, cursor=token.decode())
    return rows[:limit]


async def _cursor(
    desk: Desk, unit_id: str, token: str, first: Callable[[str], Key]
) -> tuple[Key, UUID]:
    """The key of the row a page ends with, from the cursor the previous page's `Link` gave;
    a malformed one is refused (and audited)."""
    try:
        value, row_id = json.loads(urlsafe_b64decode(token.encode()))
        return first(str(value)), UUID(str(row_id))
    except (ValueError, TypeError, RecursionError):  # not base64, not JSON, too deep, not a pair
        await desk.refused("read", unit_id, "malformed")
        raise BoardError(422, "malformed", "The page cursor is not one this list gave.") from None


@router.get("/units/{unit_id}/liaisons")
async def unit_liaisons(
    unit_id: str, desk: DeskDep, reads: ReadsDep, request: Request, response: Response,
    on: On = None, limit: Limit = PAGE, cursor: Cursor = None,
) -> list[Row]:  # fmt: skip
    """The open liaisons in the unit's subtree by member's name, a page at a time: when there
    are more, the `Link` header (`rel="next"`) gives the address of the next page."""
    scope = await scope_of(desk, unit_id, None, on, None)
    after = await _cursor(desk, unit_id, cursor, str) if cursor else None
    rows = await reads.liaisons(scope, limit + 1, after)
    return _page(request, response, rows, limit, lambda r: (r.name, r.liaison_id))


@router.get("/units/{unit_id}/meetings")
async def unit_meetings(
    unit_id: str, desk: DeskDep, reads: ReadsDep, year: Year = None, on: On = None
) -> list[MeetingRow]:
    """Meetings held in the unit's subtree in the year, up to the date."""
    return await reads.meetings(await scope_of(desk, unit_id, year, on, None))


@router.get("/units/{unit_id}/escalations")
async def unit_escalations(
    unit_id: str, desk: DeskDep, reads: ReadsDep, request: Request, response: Response,
    limit: Limit = PAGE, cursor: Cursor = None,
) -> list[EscalationRow]:  # fmt: skip
    """Open escalations addressed to the unit's subtree, the earliest due first, a page at a
    time: when there are more, the `Link` header (`rel="next"`) gives the next page."""
    scope = await scope_of(desk, unit_id, None, None, None)
    after = await _cursor(desk, unit_id, cursor, date.fromisoformat) if cursor else None
    rows = await reads.escalations(scope, limit + 1, after)
    return _page(request, response, rows, limit, lambda r: (r.due_on, r.escalation_id))


@router.get("/units/{unit_id}/notifications")
async def unit_notifications(
    request: Request, unit_id: str, desk: DeskDep, reads: ReadsDep
) -> list[NotificationRow]:
    """The newest notices the workflows addressed to the unit's subtree (reminders, escalations),
    titles and bodies in the caller's language."""
    rows = await reads.notifications(await scope_of(desk, unit_id, None, None, None))
    return await notices(rows, language_of(request), desk.office)


async def readable_member(desk: Desk, member_id: UUID) -> MemberView:
    """The member, once the user may read one of the units the member's record concerns."""
    return await desk.call(desk.core.member, member_id)


@router.get("/members")
async def search_members(
    desk: DeskDep, reads: ReadsDep, q: SearchText = "", limit: SearchLimit = 20
) -> SearchPage:
    """Members of the user's subtree found by name, party card or citizen ID, best first; a
    member of any other subtree is never found."""
    return await reads.search(desk.user.unit_id, desk.today(), q, limit)


@router.get("/members/{member_id}")
async def member(member_id: UUID, desk: DeskDep) -> MemberView:
    """A member's record."""
    return await readable_member(desk, member_id)


@router.get("/members/{member_id}/timeline")
async def member_timeline(member_id: UUID, desk: DeskDep) -> list[TimelineEntry]:
    """Every event of the member's liaisons, with who did it, when, and the stage after it."""
    return await desk.call(desk.core.timeline, member_id)


@router.get("/liaisons/{liaison_id}")
async def liaison(liaison_id: UUID, desk: DeskDep, on: On = None) -> LiaisonPublic:
    """A liaison's state and open deadlines on a date (default today)."""
    day = min(on or desk.today(), desk.today())
    state = await desk.call(desk.core.liaison, liaison_id, day)
    deadlines = await desk.call(desk.core.deadlines, liaison_id, day)
    return LiaisonPublic(state=state, stage=state.stage.value, deadlines=deadlines)
