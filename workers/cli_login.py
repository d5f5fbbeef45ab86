"""`liaison login`, `logout` and `whoami`: the shell acts as a board user, with a bearer token."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from datetime import timedelta
from typing import Annotated, ClassVar

import psycopg
import typer

from api.config import BoardConfig
from api.users import UserPublic, UserStore
from application.office import LiaisonOffice
from domain.errors import Refused
from workers.cli_support import (
    MustChangePassword,
    app,
    console,
    office,
    operator,
    run,
    saved_token,
    signed_in,
    token_file,
    with_users,
)
from workers.cli_words import lab, t, unit

LIMITS = BoardConfig(database_url="")
"""The board's defaults for sign-in: the same failure limit and window, its session lifetime."""
SESSION = timedelta(hours=LIMITS.session_hours)


class BadCredentials(Refused):
    """Wrong user name or password (the same answer for both)."""

    code: ClassVar[str] = "bad_credentials"


class Retired(Refused):
    """The account was retired: it cannot sign in (told only to whoever knows its password)."""

    code: ClassVar[str] = "account_retired"


class TooManyAttempts(Refused):
    """The board's sign-in rate limit was reached."""

    code: ClassVar[str] = "too_many_attempts"


def _address() -> str:
    """Where a shell sign-in comes from, for the access trail and the rate limit."""
    return f"cli {operator()}@{socket.gethostname()}"


@app.command()
def login(
    username: Annotated[str | None, typer.Argument(help="Board user name")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Sign in as a board user; later commands act as that user until `liaison logout`."""
    name = username or typer.prompt(t("User name"))
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(t("Password"), hide_input=True)
    liaison_office = office()
    user = run(lambda: _sign_in(liaison_office, name, password))
    _describe(liaison_office, user, t("Signed in as"))


def _sign_in(liaison_office: LiaisonOffice, username: str, password: str) -> UserPublic:
    """Verify, record and open a session as the board's sign-in does; save its token."""
    address = _address()

    def failed(reason: str) -> None:
        liaison_office.trail.sign_in_failed(username, address, reason)

    async def sign_in(store: UserStore) -> UserPublic:
        from api.signin import wait_seconds  # the board's module: FastAPI only when signing in

        await store.setup()
        window = timedelta(seconds=LIMITS.login_window_seconds)
        # The board's throttle: per (user name, address) pair, with growing waits.
        wait = await store.attempt(
            username, address, window, lambda n, since: wait_seconds(LIMITS, n, since)
        )
        if wait > 0:
            failed("rate_limited")
            raise TooManyAttempts(
                "Too many failed sign-ins. Please try again in a few minutes.",
            )
        user = await store.verify(username, password)
        if user is None:
            failed("bad_credentials")
            raise BadCredentials("Wrong user name or password.")
        await store.forgive(username, address)
        if user.retired:
            failed("account_retired")
            raise Retired("This account was retired. Ask your administrator.")
        if user.must_change:
            failed("must_change")
            raise MustChangePassword(
                "Change your one-time password on the board first, then log in again.",
            )
        liaison_office.trail.signed_in(user.actor, "cli", address)
        earlier = saved_token()
        if earlier is not None:  # signing in again ends the session signed in before
            await store.close_session(earlier)
        _save(await store.open_session(user, "bearer", SESSION))
        return user

    found: UserPublic = with_users(sign_in)
    return found


def _save(token: str) -> None:
    """Write the token where only this user can read it."""
    path = token_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file left from before keeps its mode through O_CREAT
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(token)


@app.command()
def logout() -> None:
    """End the session of `liaison login` (or the `LIAISON_TOKEN` token) and forget the token."""
    token = saved_token()
    if token is not None:
        with contextlib.suppress(psycopg.errors.UndefinedTable):  # no user was ever created
            with_users(lambda store: store.close_session(token))
    token_file().unlink(missing_ok=True)
    console.print(t("Signed out.") if token else t("Not signed in."))


@app.command()
def whoami() -> None:
    """The signed-in user: name, role and unit."""
    desk = signed_in()
    _describe(desk.office, desk.user, "")


def _describe(liaison_office: LiaisonOffice, user: UserPublic, lead: str) -> None:
    where = unit(liaison_office.tree(), user.unit_id)
    console.print(f"{lead} {user.username} · {lab('role', user.role)} · {where}".strip())
