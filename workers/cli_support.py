"""What every `liaison` subcommand shares: the app, settings, the signed-in desk, refusals."""

from __future__ import annotations

import asyncio
import functools
import os
import pwd
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import platformdirs
import psycopg
import typer
from rich.console import Console
from rich.markup import escape

from api.messages import names_units, refusal_text, unit_names
from api.users import UserPublic, UserStore
from application.desk import Desk as CoreDesk
from application.office import LiaisonOffice
from domain.calendar import business_date
from domain.commands import Command
from domain.errors import Refused
from workers import bootstrap
from workers.embedded import database_url
from workers.settings import Settings, load_settings

app = typer.Typer(
    help="Liaison: residence liaison of working Party members (Regulation 213).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
T = TypeVar("T")
C = TypeVar("C", bound=Command)
R = TypeVar("R")


class NotSignedIn(Refused):
    """No live `liaison login` session (or `LIAISON_TOKEN`): nothing is done."""

    code: ClassVar[str] = "not_signed_in"


class MustChangePassword(Refused):
    """The user still has a one-time password: it is changed on the board before anything else."""

    code: ClassVar[str] = "must_change_password"


@functools.cache
def settings() -> Settings:
    """The validated settings, read once."""
    return load_settings()


def office() -> LiaisonOffice:
    """The domain application on the configured (or embedded) PostgreSQL: one per command run."""
    if not _opened:
        _opened.append(bootstrap.Root(settings()).office)
    return _opened[0]


_opened: list[LiaisonOffice] = []
"""The office this command run has opened, if any."""


@app.callback()
def _each_run(context: typer.Context) -> None:
    # The office's connections are closed when the command ends, so that many commands run in
    # one process (as the tests do) leave no pool behind.
    context.call_on_close(_close_office)


def _close_office() -> None:
    while _opened:
        _opened.pop().close()


def today() -> date:
    """Today's business date in Vietnam (the CLI's clock; the domain is handed dates)."""
    return business_date(datetime.now(UTC))


def run(action: Callable[[], T]) -> T:
    """Run a command, turning a refusal into its message in the configured language."""
    try:
        return action()
    except Refused as refusal:
        units = unit_names(_opened[0].tree()) if _opened and names_units(refusal.message) else None
        text = refusal_text(refusal, settings().language, units)
        console.print(f"[red]✗ {escape(text)}[/red] [dim]({refusal.code})[/]")
        raise typer.Exit(2) from None


def token_file() -> Path:
    """Where `liaison login` keeps the user's token (readable by that user only)."""
    return platformdirs.user_config_path("liaison") / "token"


def saved_token() -> str | None:
    """The token to act with: `LIAISON_TOKEN`, else the one `liaison login` saved, else None."""
    token = settings().token
    if token is not None:
        return token.get_secret_value()
    try:
        return token_file().read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def users() -> UserStore:
    """The board's user store (the same tables the board signs in with)."""
    return UserStore(database_url(settings()))


def with_users(call: Callable[[UserStore], Any]) -> Any:
    """Run one async call on a user store opened and closed around it."""

    async def go() -> Any:
        store = users()
        try:
            return await call(store)
        finally:
            await store.close()

    return asyncio.run(go())


def session_user(token: str | None) -> UserPublic | None:
    """The user whose live bearer session the token is, else None."""
    if token is None:
        return None

    async def find(store: UserStore) -> UserPublic | None:
        try:
            session = await store.session(token, "bearer")
        except psycopg.errors.UndefinedTable:  # no user was ever created here
            return None
        return session.user if session is not None else None

    found: UserPublic | None = with_users(find)
    return found


def operator() -> str:
    """The operating-system account running this process (from the system, not the environment)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # an account without a passwd entry, as in some containers
        return f"uid {os.geteuid()}"


# Maintenance on the server runs without a board user and calls `operator_ran` once, at its start:
# up, sample, demo, rebuild (but the seal's: an administrator's command), verify, seal publish,
# onboard. `projections` (a status probe), `template` and
# `bench` (scratch schemas) touch no member data and record nothing; nor do the long-running
# worker, projector and dispatcher processes.
def operator_ran(command: str, detail: str = "", on: LiaisonOffice | None = None) -> None:
    """Put "the server operator ran COMMAND" in the audit trail (maintenance without a user)."""
    (on or office()).trail.maintenance(operator(), command, detail)


class Desk(CoreDesk):
    """The signed-in board user's desk in the shell: the same authorisation and audit as the
    board's (`application.desk.Desk`), and who the user is."""

    def __init__(self, liaison_office: LiaisonOffice, user: UserPublic) -> None:
        super().__init__(liaison_office, user.actor)
        self.user = user


def signed_in() -> Desk:
    """The desk of the user signed in with `liaison login` (or `LIAISON_TOKEN`); else exit 2."""
    return run(_desk)


def _desk() -> Desk:
    user = session_user(saved_token())
    if user is None:
        raise NotSignedIn(
            "Not signed in (or the session has ended): run `liaison login` first.",
        )
    if user.must_change:
        raise MustChangePassword(
            "Change your one-time password on the board first, then run `liaison login` again.",
        )
    return Desk(office(), user)
