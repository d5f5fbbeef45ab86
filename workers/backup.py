"""Backups of the event store with PostgreSQL's own `pg_dump`; a restore rebuilds the read models.

What is kept: the stored events (the system of record), the board's users, the dispatcher's
position and the notification outbox. Read models, their positions and the board's sessions are
left out: after a restore the read models are rebuilt from the events, and everyone signs in
again.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

from projections.catalog import all_models
from projections.log import EVENTS_TABLE
from projections.runner import Progress, Projector
from workers.bootstrap import persistence_env

STORE_TABLES = (
    EVENTS_TABLE,
    "board_user",
    "liaison_dispatcher_tracking",
    "liaison_notifications",
)
"""The tables a backup holds (those that do not exist yet are skipped)."""
_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ", re.MULTILINE)


class BackupRefused(Exception):
    """A backup or restore that cannot be done as asked; nothing was changed. The message is a
    template of the CLI's catalogue, filled with `params`."""

    def __init__(self, template: str, **params: str | int) -> None:
        super().__init__(template % params)
        self.template = template
        self.params = params


def schema_of(url: str) -> str:
    """The store's schema on that database (the URL's search path, else public)."""
    return persistence_env(url).get("POSTGRES_SCHEMA", "public")


def tool(name: str, url: str) -> str:
    """The path of `pg_dump` or `pg_restore` for the server at `url`.

    A server refuses a `pg_dump` older than itself: the embedded server's own binaries come
    first, then the server's version's Debian folder, then the PATH; the first that is at least
    the server's major version wins."""
    with psycopg.connect(url) as conn:
        server = int(conn.info.server_version) // 10000
    for candidate in _candidates(name, server):
        if _major(candidate) >= server:
            return candidate
    raise BackupRefused(
        "no %(tool)s of PostgreSQL %(version)s or newer found"
        " (install postgresql-client-%(version)s)",
        tool=name, version=server,
    )  # fmt: skip


def _candidates(name: str, server: int) -> Iterator[str]:
    try:
        from pgserver._commands import POSTGRES_BIN_PATH  # only where the embedded server is
    except ImportError:
        pass
    else:
        yield str(Path(POSTGRES_BIN_PATH) / name)
    yield f"/usr/lib/postgresql/{server}/bin/{name}"
    found = shutil.which(name)
    if found:
        yield found


def _major(path: str) -> int:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return 0
    found = re.search(r"(\d+)(?:\.\d+)?", out.stdout.split(")")[-1])
    return int(found.group(1)) if found else 0


def backup(url: str, file: Path) -> list[str]:
    """Write the store's tables to `file` (pg_dump's custom format); return the tables kept."""
    schema = schema_of(url)
    with psycopg.connect(url) as conn:
        present = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)",
                (schema, list(STORE_TABLES)),
            )
        ]
    if EVENTS_TABLE not in present:
        raise BackupRefused("there is no event store in the schema %(schema)s", schema=schema)
    tables = [arg for t in present for arg in ("--table", f'"{schema}"."{t}"')]
    _run(
        tool("pg_dump", url),
        "--format=custom", "--no-owner", "--no-privileges", *tables,
        f"--file={file}", f"--dbname={url}",
    )  # fmt: skip
    return sorted(present)


def restore(url: str, file: Path, replace: bool) -> list[str]:
    """Bring the store's tables back from `file`; return them (`rebuild_read_models` follows).

    Refused, with nothing changed, when `file` is not a backup of a store with this schema, or
    when the store already holds events and `replace` is not given."""
    schema = schema_of(url)
    pg_restore = tool("pg_restore", url)
    listing = subprocess.run(
        [pg_restore, "--list", str(file)], capture_output=True, text=True, check=False
    )
    found = _TOC_TABLE.findall(listing.stdout) if listing.returncode == 0 else []
    tables = sorted({t for s, t in found if s == schema})
    if EVENTS_TABLE not in {t for _, t in found}:
        raise BackupRefused("%(file)s is not a Liaison backup", file=str(file))
    if EVENTS_TABLE not in tables:
        other = next(s for s, t in found if t == EVENTS_TABLE)
        raise BackupRefused(
            "%(file)s holds the schema %(other)s, not %(schema)s",
            file=str(file), other=other, schema=schema,
        )  # fmt: skip
    with psycopg.connect(url, autocommit=True) as conn:
        held = conn.execute("SELECT to_regclass(%s)", (f'"{schema}"."{EVENTS_TABLE}"',)).fetchone()
        if held and held[0] is not None and not replace:
            count = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, EVENTS_TABLE))
            ).fetchone()
            if count and count[0]:
                raise BackupRefused(
                    "the store already holds %(num)s events; --replace replaces them",
                    num=int(count[0]),
                )
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    _run(
        pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
        "--single-transaction", "--exit-on-error", f"--dbname={url}", str(file),
    )  # fmt: skip
    return tables


def rebuild_read_models(url: str, progress: Progress | None = None) -> int:
    """Drop every read model and its position, and replay the restored events into it."""
    projector = Projector(persistence_env(url), all_models())
    try:
        return projector.rebuild(progress)
    finally:
        projector.close()


def _run(*args: str) -> None:
    done = subprocess.run(list(args), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        error = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        raise BackupRefused("%(tool)s failed: %(error)s", tool=Path(args[0]).name, error=error)
