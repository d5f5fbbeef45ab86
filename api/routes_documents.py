"""Printed documents (PDF): the board's download links and the API's route, one handler.

Each document is gated by the read permission of the record it prints; a refusal is answered and
audited as the record's own page answers it (another district's member is "no such member")."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import Desk, DeskDep, ReadsDep, caught_up
from api.documents.record import Source
from api.documents.service import gate, produce
from api.errors import ERROR_RESPONSES
from api.i18n import language_of
from api.reads import BoardReads
from api.web.render import WebDesk

router = APIRouter(
    prefix="/api", tags=["queries"], responses=ERROR_RESPONSES, dependencies=[Depends(caught_up)]
)
pages = APIRouter(include_in_schema=False)

Member = Annotated[UUID | None, Query(description="The member (letter, assessment, contact)")]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="The assessment's year")]
Cell = Annotated[str | None, Query(max_length=40, description="The cell (register)")]
Meeting = Annotated[UUID | None, Query(description="The meeting (attendance)")]
Unit = Annotated[str | None, Query(max_length=40, description="The unit (statistics, evidence)")]
On = Annotated[str | None, Query(max_length=10, description="As of (statistics, evidence)")]
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The document (PDF)"}
}


async def _printed(
    request: Request, desk: Desk, reads: BoardReads, kind: str, params: dict[str, str]
) -> Response:
    await desk.call(gate, desk.core, kind, params)
    async with reads.connection() as conn:
        printed = await produce(
            Source(desk.office, conn), kind, params, language_of(request), desk.today()
        )
    return Response(
        printed.pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{printed.filename}"'},
    )


def _params(
    desk: Desk, member: UUID | None, year: int | None, cell: str | None,
    meeting: UUID | None, unit: str | None, on: str | None,
) -> dict[str, str]:  # fmt: skip
    """The parameters given, with the defaults: this year, the user's unit, today."""
    today = desk.today()
    found = {
        "member": str(member) if member else None,
        "year": str(year or today.year),
        "cell": cell or desk.user.unit_id,
        "meeting": str(meeting) if meeting else None,
        "unit": unit or desk.user.unit_id,
        "on": on or today.isoformat(),
    }
    return {k: v for k, v in found.items() if v is not None}


def _for(kind: str, params: dict[str, str]) -> dict[str, str]:
    """Only the parameters a document of that kind reads (its code names no others)."""
    wanted = {
        "letter": ("member",), "contact": ("member",), "assessment": ("member", "year"),
        "register": ("cell",), "attendance": ("meeting",),
        "statistics": ("unit", "on"), "evidence": ("unit", "on"),
    }.get(kind, ())  # fmt: skip
    return {k: params.get(k, "") for k in wanted}


@router.get("/documents/{kind}", response_class=Response, responses=PDF)
async def document(
    request: Request, kind: str, desk: DeskDep, reads: ReadsDep, member: Member = None,
    year: Year = None, cell: Cell = None, meeting: Meeting = None, unit: Unit = None,
    on: On = None,
) -> Response:  # fmt: skip
    """An official document as PDF (letter, assessment, register, contact, attendance,
    statistics, evidence), fixed to the seal's head by its QR verification code."""
    params = _for(kind, _params(desk, member, year, cell, meeting, unit, on))
    return await _printed(request, desk, reads, kind, params)


@pages.get("/documents/{kind}")
async def document_page(
    request: Request, kind: str, desk: WebDesk, reads: ReadsDep, member: Member = None,
    year: Year = None, cell: Cell = None, meeting: Meeting = None, unit: Unit = None,
    on: On = None,
) -> Response:  # fmt: skip
    """The board's download of a document (the same as the API's, signed in on the board)."""
    params = _for(kind, _params(desk, member, year, cell, meeting, unit, on))
    return await _printed(request, desk, reads, kind, params)
