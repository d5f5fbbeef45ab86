"""The one-time password rule: until it is changed, a session reaches only the page changing it."""

from __future__ import annotations

from api.errors import BoardError
from api.users import Session
from domain.messages import gettext_noop

PASSWORD_PAGE = "/password"
OPEN_PAGES = frozenset({PASSWORD_PAGE, "/logout"})
"""The pages a session with an unchanged one-time password may use (sign-in, the language switch
and static files need no session at all)."""


class PasswordChangeRequired(BoardError):
    """A session or sign-in whose one-time password is still unchanged."""

    def __init__(self) -> None:
        super().__init__(
            403,
            "password_change_required",
            gettext_noop("Change your one-time password first (on the board's password page)."),
        )


def require_changed(session: Session, page: str | None = None) -> None:
    """Refuse a session whose one-time password is unchanged, except on the pages in OPEN_PAGES."""
    if session.user.must_change and page not in OPEN_PAGES:
        raise PasswordChangeRequired()
