"""The `liaison` subcommands of the domain commands, generated from the registry.

One subcommand per use case a person may send from the CLI, named as its API endpoint
(`liaison refer` is `POST /api/commands/refer`), with one option per field of the command:
members and liaisons are named by party card, dates default to today, the actor is whoever is
signed in (`liaison login`).
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Annotated, Any
from uuid import UUID, uuid4

import typer
from rich.markup import escape

from api.i18n import gettext
from api.messages import render
from application.desk import Desk
from application.fields import Leaf, leaves, nest
from application.outcome import said
from application.registry import CLI, REGISTRY, Use
from domain.meeting import AttendanceEntry
from domain.state import Attendance
from workers.cli_support import app, console, run, settings, signed_in

CARD_FIELDS = {
    "member_id": "Party card of the member",
    "liaison_id": "Party card of the member (their open, else latest, liaison)",
}
"""Ids a person names by party card: the member, or the member's open (else latest) liaison."""
SHORT = {
    "effective_date": "date",
    "front_committee_representative": "front",
    "residence_commune_id": "commune",
    "cell_id": "cell",
    "birth_date": "birth",
    "workplace_unit_id": "workplace",
    "party_card_number": "card",
}
"""Shorter option names for fields every clerk types (when the command has one such field)."""
MARKS = {  # attendance by option: `--present CARD`, `--absent-with-reason CARD=REASON`, …
    mark: mark.value.replace("_", "-") for mark in Attendance
}


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `| None`, and whether None was allowed."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _option(leaf: Leaf, names: list[str]) -> tuple[Any, Any]:
    """The typer annotation and default of one field's option."""
    inner, _ = _unwrap(leaf.annotation)
    origin = typing.get_origin(inner)
    required = leaf.required and leaf.name not in ("command_id", "effective_date")
    default: Any = ... if required else None
    kind: Any
    if origin is typing.Literal:
        kind = inner
    elif origin in (tuple, list):
        kind = list[str]
    elif inner is bool:
        kind, default = bool, bool(leaf.default)
    elif isinstance(inner, type) and issubclass(inner, Enum | int | date | UUID | str):
        kind = inner
    else:  # a union of shapes (a policy value): given as text, parsed by the command's model
        kind = str
    option = typer.Option(*names, help=leaf.help or None)
    return Annotated[kind if required or kind is bool else kind | None, option], default


def _parameters(use: Use[Any]) -> list[inspect.Parameter]:
    """The subcommand's parameters: a party card argument, then one option per field."""
    params: list[inspect.Parameter] = []
    fields = leaves(use.model)
    tails = [leaf.path[-1] for leaf in fields]
    for leaf in fields:
        if leaf.name in CARD_FIELDS:
            help_ = CARD_FIELDS[leaf.name]
            annotation: Any = Annotated[str, typer.Argument(metavar="CARD", help=help_)]
            params.insert(0, inspect.Parameter("card", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                               annotation=annotation))  # fmt: skip
            continue
        if leaf.name == "attendance":
            for mark, flag in MARKS.items():
                hint = "CARD=REASON" if mark is Attendance.ABSENT_WITH_REASON else "CARD"
                option = typer.Option(f"--{flag}", metavar=hint, help=f"{flag}: {hint}")
                params.append(inspect.Parameter(
                    f"mark__{mark.value}", inspect.Parameter.KEYWORD_ONLY,
                    annotation=Annotated[list[str] | None, option], default=None,
                ))  # fmt: skip
            continue
        tail = leaf.path[-1]
        unique = tails.count(tail) == 1
        flat = SHORT.get(tail) if unique and tail in SHORT else None
        flat = flat or (tail if unique else leaf.name.replace(".", "-")).replace("_", "-")
        names = [f"--{flat}"]
        annotation, default = _option(leaf, names)
        params.append(inspect.Parameter(
            leaf.name.replace(".", "__"), inspect.Parameter.KEYWORD_ONLY,
            annotation=annotation, default=default,
        ))  # fmt: skip
    return params


def _values(use: Use[Any], desk: Desk, given: dict[str, Any]) -> dict[str, Any]:
    """The command's payload from the options given, cards turned into ids."""
    values: dict[str, Any] = {}
    marks = {k.removeprefix("mark__"): v for k, v in given.items() if k.startswith("mark__")}
    for key, value in given.items():
        if key == "card" or key.startswith("mark__") or value is None:
            continue
        values[key.replace("__", ".")] = value
    names = {leaf.name for leaf in leaves(use.model)}
    card = given.get("card")
    if card is not None and "member_id" in names:
        values["member_id"] = desk.office.member_id_for(card)
    if card is not None and "liaison_id" in names:
        values["liaison_id"] = _liaison(desk, use, card)
    if "attendance" in names:
        values["attendance"] = [
            AttendanceEntry(
                liaison_id=_liaison(desk, use, item.partition("=")[0]),
                attendance=Attendance(mark),
                absence_reason=item.partition("=")[2] or None,
            )
            for mark, items in marks.items()
            for item in items or []
        ]
    values.setdefault("command_id", uuid4())
    values.setdefault("effective_date", desk.today())
    return nest(values)


def _liaison(desk: Desk, use: Use[Any], card: str) -> UUID:
    """The open (else latest) liaison of the member with this card, refused as the command."""
    member = desk.run(
        lambda: desk.office.member(desk.office.member_id_for(card)), use.model.__name__, card
    )
    return desk.open_liaison(member)


def subcommand(use: Use[Any]) -> Callable[..., None]:
    """The `liaison <slug>` subcommand of one use case."""

    def command(**given: Any) -> None:
        desk = signed_in()
        payload = run(lambda: _values(use, desk, given))
        outcome = run(lambda: desk.execute(desk.command(use.model, payload)))
        console.print(f"[green]✓[/] {escape(render(said(use.done, outcome), settings().language))}")

    command.__signature__ = inspect.Signature(_parameters(use))  # type: ignore[attr-defined]
    command.__name__ = use.slug.replace("-", "_")
    command.__doc__ = use.summary
    return command


for _use in REGISTRY.on(CLI):
    app.command(_use.slug, help=gettext(_use.summary, settings().language))(subcommand(_use))
