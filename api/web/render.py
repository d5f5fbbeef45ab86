"""Rendering pages: templates, the web session, CSRF-checked forms, labels by language."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from api.deps import SESSION_COOKIE, Desk, OfficeDep, UsersDep, address_of, not_signed_in
from api.errors import BoardError
from api.i18n import ATTENDANCE, METRICS, ROLES, language_of, word
from api.one_time import require_changed
from api.users import Session
from domain.labels import EVENTS, STAGES, label

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
TABLES = {
    "metric": METRICS,
    "role": ROLES,
    "attendance": ATTENDANCE,
    "stage": STAGES,
    "event": EVENTS,
}


async def web_session(request: Request, users: UsersDep) -> Session:
    """The session of the board's cookie; without one the page redirects to sign-in, and while
    the one-time password is unchanged every page but its change redirects there."""
    cookie = request.cookies.get(SESSION_COOKIE)
    session = await users.session(cookie, "web") if cookie else None
    if session is None:
        raise not_signed_in()
    request.state.session = session  # an error page drawn later still knows who is signed in
    require_changed(session, request.url.path)
    return session


WebSession = Annotated[Session, Depends(web_session)]


async def checked_form(request: Request, session: WebSession) -> FormData:
    """The posted form, once its CSRF token matches the session's."""
    form = await request.form()
    if form.get("csrf") != session.csrf:
        raise BoardError(403, "csrf", "The form has expired; please reload.")
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


async def _web_desk(request: Request, session: WebSession, office: OfficeDep) -> Desk:
    return Desk(office, session.user, address_of(request))


WebDesk = Annotated[Desk, Depends(_web_desk)]


def page(
    request: Request, template: str, session: Session | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render a template with the language, the board's words, the user and the CSRF token."""
    language = language_of(request)

    def lab(table: str, key: object) -> str:
        return label(TABLES[table], str(key), language)

    values = {
        "lang": language,
        "w": lambda key: word(key, language),
        "lab": lab,
        "user": session.user if session else None,
        "csrf": session.csrf if session else "",
        **context,
    }
    return TEMPLATES.TemplateResponse(request, template, values, status_code=status)
