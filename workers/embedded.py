"""The embedded PostgreSQL of `liaison up`: a real PostgreSQL 16 (`pgserver`) in the data folder."""

import warnings
from pathlib import Path

from workers.settings import Settings

# pgserver asks platformdirs for a runtime folder; its fallback to /tmp is fine and not news.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR", category=UserWarning)
from pgserver.postgres_server import PostgresServer, get_server  # noqa: E402

# Held for the life of the process: pgserver stops the server when its last handle is cleaned up.
_servers: dict[Path, PostgresServer] = {}


def start_postgres(data_dir: Path) -> str:
    """Start (or join) the PostgreSQL kept in `data_dir/postgres`; return its socket URL."""
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
