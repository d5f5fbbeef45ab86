"""The web process: the board and HTTP API under uvicorn, on the configured PostgreSQL."""

from __future__ import annotations

import asyncio
import ipaddress
import tempfile
from pathlib import Path

import uvicorn
from prometheus_client import REGISTRY
from rich.console import Console

from api.app import create_app
from api.config import BoardConfig
from api.health import Health
from api.imports import ImportJobs
from api.reads_projections import ProjectionReads
from api.users import UserStore
from application.office import LiaisonOffice
from projections.cores import collect_seldom
from workers.bootstrap import Root, persistence_env
from workers.health import Readiness, postgres_answers, read_models_within, temporal_answers
from workers.logs import configure_logging
from workers.metrics import StoreCollector
from workers.onboarding import start_in_background
from workers.province.board_import import BoardImports, write_templates
from workers.settings import Settings, load_settings
from workers.tracing import trace_web, tracer_provider


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_board(settings: Settings, host: str) -> tuple[LiaisonOffice, UserStore, BoardConfig]:
    """The office, user store and board settings for this process."""
    root = Root(settings, process="web")
    url, office = root.database_url, root.office
    # Plain http is only acceptable on the machine itself; anywhere else TLS fronts the board.
    config = BoardConfig(
        database_url=url, language=settings.language, secure_cookies=not _loopback(host)
    )
    return office, UserStore(url), config


async def _first_administrator(office: LiaisonOffice, users: UserStore) -> str | None:
    await users.setup()
    roots = [u.id for u in office.tree() if u.parent_id is None]
    try:
        return await users.first_administrator(roots[0] if roots else "ROOT")
    finally:
        await users.close()  # the server's own event loop opens its pool


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the board until interrupted; on first start print the administrator's password."""
    office, users, config = build_board(settings, host)
    console = Console()
    password = asyncio.run(_first_administrator(office, users))
    if password is not None:
        console.print(
            f"[bold]Administrator created[/]: user [cyan]admin[/], one-time password "
            f"[cyan]{password}[/] (change it at first sign-in)"
        )
    console.print(f"Board: [link]http://{host}:{port}/[/link]  API docs: http://{host}:{port}/docs")
    # Each run is a child process that builds its own office from the store's settings; the
    # workflows of the members it imported are started here, by the web process, afterwards.
    imports = ImportJobs(
        BoardImports(persistence_env(config.database_url)),
        templates=write_templates(Path(tempfile.mkdtemp(prefix="liaison-templates-"))),
        after_import=lambda: start_in_background(settings, office, console.print),
    )
    app = create_app(
        office,
        ProjectionReads(config.database_url),
        users,
        config,
        imports,
        probes=probes(settings, config.database_url),
    )
    trace_web(app, tracer_provider(settings, "web"))
    # No log configuration of uvicorn's own: its lines go through the process's (JSON by setting).
    uvicorn.run(app, host=host, port=port, log_level="warning", log_config=None)


def probes(settings: Settings, url: str) -> Health:
    """The board is ready while PostgreSQL and Temporal answer and the read models keep up; its
    `/metrics` add the store's gauges to the process's counters."""
    REGISTRY.register(StoreCollector(url))
    return Health(
        Readiness(
            {
                "postgres": postgres_answers(url),
                "temporal": temporal_answers(settings),
                "read_models": read_models_within(url, settings.ready_max_lag),
            }
        )
    )


def main() -> None:
    """Entry point of the web process: serve on the configured address."""
    collect_seldom()  # each request makes objects by the thousand, cycles seldom
    settings = load_settings()
    configure_logging(settings, "web")
    serve(settings, settings.web_host, settings.web_port)


if __name__ == "__main__":
    main()
