"""The embedded PostgreSQL of `liaison up`: a real PostgreSQL 16 (`pgserver`) in the data folder.

`pgserver` is in the optional `embedded` extra and imported only when the embedded server is
started: every process imports this module, and a production image (DATABASE_URL set) has no
`pgserver` at all."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from workers.settings import Settings

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

# Held for the life of the process: pgserver stops the server when its last handle is cleaned up.
_servers: dict[Path, PostgresServer] = {}


class NoEmbeddedPostgres(RuntimeError):
    """DATABASE_URL is unset and the embedded PostgreSQL is not installed."""


def start_postgres(data_dir: Path) -> str:
    """Start (or join) the PostgreSQL kept in `data_dir/postgres`; return its socket URL."""
    # pgserver asks platformdirs for a runtime folder; its fallback to /tmp is fine and not news.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR", category=UserWarning)
    try:
        from pgserver.postgres_server import get_server
    except ImportError:
        msg = (
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: set "
            "DATABASE_URL, or install Liaison with its `embedded` extra "
            "(pip install 'liaison[embedded]')"
        )
        raise NoEmbeddedPostgres(msg) from None
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / "postgres").resolve()
    server = _servers.get(pgdata)
    if server is None:
        server = get_server(pgdata, cleanup_mode="stop")
        _servers[pgdata] = server
    return server.get_uri()


def stop_postgres(data_dir: Path) -> None:
    """Stop the embedded PostgreSQL of `data_dir`, keeping its data; no-op if not started here."""
    server = _servers.pop((data_dir / "postgres").resolve(), None)
    if server is not None:
        server.cleanup()


def database_url(settings: Settings) -> str:
    """The configured external database, or else the embedded one, started if need be."""
    if settings.database_url is not None:
        return settings.database_url
    return start_postgres(settings.data_dir)
