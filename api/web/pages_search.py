"""Member search on the board: the page (a plain GET form), and its results alone for the
header's search box to show as the user types (`static/search.js`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import Desk, ReadsDep
from api.reads import BoardReads
from api.routes_queries import SEARCH_MAX_CHARS, SearchText
from api.users import Session
from api.web.render import WebDesk, WebSession, page

router = APIRouter(prefix="/search", include_in_schema=False)
HITS = 20


async def _found(
    request: Request, session: Session, desk: Desk, reads: BoardReads, q: str, template: str
) -> HTMLResponse:
    found = await reads.search(session.user.unit_id, desk.today(), q, HITS)
    return page(request, template, session, q=q, found=found, max_chars=SEARCH_MAX_CHARS)


@router.get("")
async def search_page(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep, q: SearchText = ""
) -> HTMLResponse:
    """The search form and the members of the user's subtree it finds."""
    return await _found(request, session, desk, reads, q, "search.html")


@router.get("/results")
async def search_results(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep, q: SearchText = ""
) -> HTMLResponse:
    """The results alone, as the search page draws them."""
    return await _found(request, session, desk, reads, q, "_search_results.html")
