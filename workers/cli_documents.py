"""`liaison print KIND FILE`: an official document as PDF, printed from the record with the same
permission as the record it prints; `liaison verify --document FILE` checks one (see cli_read)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from api.documents.record import KINDS, Source
from api.documents.service import MEMBER_KINDS, gate, produce
from workers.cli_read import _read
from workers.cli_support import app, console, run, signed_in
from workers.cli_words import language, number, t


@app.command("print")
def print_document(
    kind: Annotated[str, typer.Argument(help="Which document: " + ", ".join(KINDS))],
    file: Annotated[Path, typer.Argument(help="Where to write the PDF")],
    card: Annotated[
        str | None, typer.Option("--card", help="The member's party card number")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="The assessment's year")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="The cell or unit")] = None,
    meeting: Annotated[str | None, typer.Option("--meeting", help="The meeting's id")] = None,
    on: Annotated[date | None, typer.Option("--on", help="As of (default today)")] = None,
) -> None:
    """Print a document: letter, assessment (--year), contact (--card); register (--unit, a
    cell); attendance (--meeting); statistics, evidence (--unit, --on)."""
    desk = signed_in()
    params: dict[str, str] = {}
    if kind in MEMBER_KINDS:
        params["member"] = str(run(lambda: desk.member_by_card(card or "")).member_id)
    if kind == "assessment":
        params["year"] = str(year or desk.today().year)
    if kind == "register":
        params["cell"] = unit or desk.user.unit_id
    if kind == "attendance":
        params["meeting"] = meeting or ""
    if kind in ("statistics", "evidence"):
        params |= {"unit": unit or desk.user.unit_id, "on": (on or desk.today()).isoformat()}
    run(lambda: gate(desk, kind, params))
    printed = _read(
        lambda conn: produce(Source(desk.office, conn), kind, params, language(), desk.today())
    )
    file.write_bytes(printed.pdf)
    where = t("seal position %(position)s", position=number(printed.code.position))
    console.print(f"[green]✓[/] {file}: {where}")
