"""`liaison users`: an administrator creates board users, or ends all of one's sessions."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from api.users import UserStore
from application.accounts import one_time_password
from domain.roles import Role
from workers.cli_support import app, console, operator_ran, settings
from workers.cli_words import lab, t, tn
from workers.embedded import database_url

users_app = typer.Typer(help="Board users: sign-in names, roles and units.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Sign-in name, e.g. bithu.tdp1")],
    role: Annotated[Role, typer.Option(help="The user's role")],
    unit: Annotated[str, typer.Option(help="The unit whose subtree the user acts for")],
    password: Annotated[
        str | None, typer.Option(help="Leave out to generate a one-time password")
    ] = None,
) -> None:
    """Create a user (or reset one, ending their sessions); without --password a one-time
    password is printed."""
    chosen = password or one_time_password()

    async def create() -> None:
        store = UserStore(database_url(settings()))
        await store.setup()
        await store.add(username, chosen, role, unit, must_change=password is None)
        await store.close()

    asyncio.run(create())
    operator_ran("users add", f"{username} {role.value} {unit}")
    console.print(f"✓ {username} ({lab('role', role)}, {unit})")
    if password is None:
        console.print(
            "  " + t("one-time password: %(password)s (to change at the first sign-in)",
                     password=f"[cyan]{chosen}[/]")
        )  # fmt: skip


@users_app.command("revoke")
def revoke(username: Annotated[str, typer.Argument(help="Sign-in name")]) -> None:
    """End every board session and API token of the user (they must sign in again)."""

    async def end() -> int | None:
        store = UserStore(database_url(settings()))
        try:
            await store.setup()
            if await store.user(username) is None:
                return None
            return await store.end_sessions(username)
        finally:
            await store.close()

    ended = asyncio.run(end())
    if ended is None:
        unknown = t("No user %(name)s.", name=username)
        console.print(f"[red]✗ {unknown}[/red]")
        raise typer.Exit(1)
    operator_ran("users revoke", username)
    ended_text = tn("%(num)s session or token ended", "%(num)s sessions and tokens ended", ended)
    console.print(f"✓ {username}: {ended_text}")
