"""What every `liaison` subcommand shares: the app, settings, the office, the actor, refusals."""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from domain.calendar import business_date
from domain.errors import Refused
from domain.office import LiaisonOffice
from domain.roles import Actor, Role
from workers import bootstrap
from workers.settings import Settings, load_settings

app = typer.Typer(
    help="Liaison: residence liaison of working Party members (Regulation 213).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
T = TypeVar("T")

AsOption = Annotated[str, typer.Option("--as", help="ROLE:UNIT you act as, e.g. cell_secretary:C1")]


@functools.cache
def settings() -> Settings:
    """The validated settings, read once."""
    return load_settings()


def office() -> LiaisonOffice:
    """The domain application on the configured (or embedded) PostgreSQL."""
    return bootstrap.build_office(settings())


def actor(as_: str) -> Actor:
    """Parse `ROLE:UNIT` into the acting person (the login name is their id)."""
    role, _, unit = as_.partition(":")
    try:
        return Actor(id=getpass.getuser(), role=Role(role), unit_id=unit)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise typer.BadParameter(f"--as takes ROLE:UNIT with ROLE one of {roles}") from None


def today() -> date:
    """Today's business date in Vietnam (the CLI's clock; the domain is handed dates)."""
    return business_date(datetime.now(UTC))


def run(action: Callable[[], T]) -> T:
    """Run a command, turning a refusal into its message in the configured language."""
    try:
        return action()
    except Refused as refusal:
        console.print(
            f"[red]✗ {refusal.message(settings().language)}[/red] [dim]({refusal.code})[/]"
        )
        raise typer.Exit(2) from None
