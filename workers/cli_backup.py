"""`liaison backup` and `liaison restore`: the event store to a file and back (workers.backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from workers.backup import BackupRefused, backup, rebuild_read_models, restore
from workers.cli_support import app, console, operator_ran, settings
from workers.cli_words import number, t
from workers.embedded import database_url


def _refused(refusal: BackupRefused) -> typer.Exit:
    console.print(f"[red]✗ {t(refusal.template, **refusal.params)}[/]")
    console.print(f"[red]✗ {t('Nothing was changed.')}[/]")
    return typer.Exit(2)


@app.command("backup")
def backup_store(
    file: Annotated[Path, typer.Argument(help="The backup file to write (a new file)")],
) -> None:
    """Write the event store — events, users, the dispatcher's position, the outbox — to FILE
    with pg_dump; read models are not kept (a restore rebuilds them)."""
    if file.exists():
        console.print(f"[red]✗ {t('%(file)s already exists.', file=str(file))}[/]")
        raise typer.Exit(2)
    url = database_url(settings())
    operator_ran("backup", str(file))  # before the dump, so the backup holds its own record
    try:
        tables = backup(url, file)
    except BackupRefused as refusal:
        raise _refused(refusal) from None
    written = t("Backup written to %(file)s: %(tables)s.", file=str(file), tables=", ".join(tables))
    console.print(f"[green]✓[/] {written}")


@app.command("restore")
def restore_store(
    file: Annotated[Path, typer.Argument(help="A file written by `liaison backup`")],
    replace: Annotated[
        bool, typer.Option(help="Replace the events of a store that holds some")
    ] = False,
) -> None:
    """Bring the event store back from FILE and rebuild every read model from its events (stop
    the worker, dispatcher, projector and board first)."""
    url = database_url(settings())
    try:
        tables = restore(url, file, replace)
    except BackupRefused as refusal:
        raise _refused(refusal) from None
    # Recorded before the rebuild, so that the rebuilt seal covers it too.
    operator_ran("restore", " ".join([str(file), *(["--replace"] if replace else [])]))
    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress("{task.description}", *columns, console=console) as bar:
        task = bar.add_task(t("Rebuilding the read models"), total=None)

        def tick(done: int, total: int, task: Any = task) -> None:
            bar.update(task, completed=done, total=total)

        events = rebuild_read_models(url, tick)
    done = t(
        "%(file)s restored: %(tables)s; the read models are rebuilt from %(num)s events.",
        file=str(file), tables=", ".join(tables), num=number(events),
    )  # fmt: skip
    console.print(f"[green]✓[/] {done}")
