"""Sign-in and sign-out pages, the password change, and the language switch."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import SESSION_COOKIE, ConfigDep, OfficeDep, UsersDep
from api.errors import BoardError
from api.i18n import gettext, language_of
from api.signin import Gate, TooManyAttempts
from api.web.render import CheckedForm, WebSession, page

router = APIRouter(include_in_schema=False)
YEAR = 365 * 24 * 3600
PASSWORD_MIN_LENGTH = 10
BOARD_PATH = re.compile(r"/(?![/\\])[^\\\x00-\x20\x7f]*")
"""A path on this board: one leading slash, then no slash or backslash (browsers read `//x` and
`/\\x` as another host), and no space or control character (browsers drop tabs and newlines)."""


def same_origin(request: Request) -> None:
    """Refuse a form posted from another site (the browser names the origin)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise BoardError(403, "csrf", "Form from another site.")


def posted_here(request: Request) -> None:
    """Refuse a signed-out form unless the browser says it was posted from this board.

    Browsers send Origin with every form POST and Referer with same-origin requests (the board's
    Referrer-Policy is same-origin); neither can be set by another site's page. A request naming
    neither is refused too, since a forged one could strip both.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin") or request.headers.get("referer") or ""
    if fetch_site not in (None, "same-origin") or urlsplit(origin).netloc != request.url.netloc:
        raise BoardError(403, "csrf", "Form from another site.")


def board_path(request: Request, candidate: str | None) -> str | None:
    """The candidate as a path and query on this board, or None when it leads elsewhere."""
    if not candidate:
        return None
    parts = urlsplit(candidate)
    if (parts.scheme or parts.netloc) and (
        parts.scheme not in ("http", "https") or parts.netloc != request.url.netloc
    ):
        return None
    if not BOARD_PATH.fullmatch(parts.path) or re.search(r"[\x00-\x20\x7f]", parts.query):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@router.get("/login")
async def login_form(request: Request) -> HTMLResponse:
    """The sign-in form."""
    return page(request, "login.html", None)


@router.post("/login", response_model=None)
async def login(
    request: Request,
    office: OfficeDep,
    users: UsersDep,
    config: ConfigDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    """Check the password, open a server-side session (ending this browser's previous one)."""
    same_origin(request)
    try:
        user = await Gate(request, office, users, config).sign_in(username, password, "password")
    except BoardError as refusal:
        language = language_of(request)
        text = gettext(refusal.message.template, language)  # none of these has parameters
        answer = page(request, "login.html", None, refusal.status, error=text, username=username)
        if isinstance(refusal, TooManyAttempts):
            answer.headers["Retry-After"] = str(refusal.retry_after)
        return answer
    token = await users.open_session(
        user,
        "web",
        timedelta(hours=config.session_hours),
        replacing=request.cookies.get(SESSION_COOKIE),
    )
    response = RedirectResponse("/password" if user.must_change else "/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=config.session_hours * 3600,
        httponly=True,
        secure=config.secure_cookies,
        samesite="lax",
    )
    return response


@router.post("/logout")
async def logout(request: Request, form: CheckedForm, users: UsersDep) -> RedirectResponse:
    """End the session."""
    await users.close_session(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/lang")
async def switch_language(
    request: Request,
    config: ConfigDep,
    users: UsersDep,
    to: Annotated[str, Form(max_length=2)] = "vi",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    """Switch the board's language (a cookie) and go back to the page, if it is the board's.

    A signed-in user's form carries the session's CSRF token; a signed-out one (the sign-in
    page) must come from this board by its Origin or Referer.
    """
    cookie = request.cookies.get(SESSION_COOKIE)
    session = await users.session(cookie, "web") if cookie else None
    if session is None:
        posted_here(request)
    elif not secrets.compare_digest(csrf.encode(), session.csrf.encode()):
        raise BoardError(403, "csrf", "The form has expired; please reload.")
    target = board_path(request, next) or board_path(request, request.headers.get("referer"))
    response = RedirectResponse(target or "/", status_code=303)
    response.set_cookie(
        "lang", "en" if to == "en" else "vi", max_age=YEAR, secure=config.secure_cookies,
        samesite="lax",
    )  # fmt: skip
    return response


@router.get("/password")
async def password_form(request: Request, session: WebSession) -> HTMLResponse:
    """The form to set a new password (required after a one-time password)."""
    return page(request, "password.html", session, min_length=PASSWORD_MIN_LENGTH)


@router.post("/password", response_model=None)
async def change_password(
    request: Request,
    session: WebSession,
    form: CheckedForm,
    office: OfficeDep,
    users: UsersDep,
    config: ConfigDep,
) -> Response:
    """Set the new password once the current one is confirmed; end every other session."""
    current = str(form.get("current") or "")
    password = str(form.get("password") or "")
    language = language_of(request)

    def refuse(status: int, text: str) -> HTMLResponse:
        return page(
            request, "password.html", session, status, error=text, min_length=PASSWORD_MIN_LENGTH
        )

    if len(password) < PASSWORD_MIN_LENGTH:
        short = gettext("The new password must have at least %(n)s characters.", language)
        return refuse(422, short % {"n": PASSWORD_MIN_LENGTH})
    if password == current:
        return refuse(422, gettext("The new password must differ from the current one.", language))
    username = session.user.username
    try:
        await Gate(request, office, users, config).checked_password(username, current)
    except TooManyAttempts as refusal:
        answer = refuse(
            429, gettext("Too many failed sign-ins. Please try again in a few minutes.", language)
        )
        answer.headers["Retry-After"] = str(refusal.retry_after)
        return answer
    except BoardError:
        return refuse(403, gettext("The current password is wrong.", language))
    await users.change_password(username, password, keep=request.cookies.get(SESSION_COOKIE))
    await run_in_threadpool(
        office.trail.account_changed, session.user.actor, username, "password_changed"
    )
    return RedirectResponse("/", status_code=303)
