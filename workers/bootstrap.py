"""Composition root: builds Liaison's parts from one validated `Settings`."""

import contextlib
import functools
import getpass
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg
from psycopg.conninfo import conninfo_to_dict

from workers.embedded import database_url
from workers.settings import Settings

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.envconfig import ClientConnectConfig

    from application.office import LiaisonOffice
    from projections.runner import Projector

_SEARCH_PATH = re.compile(r"(?:-c\s*|--)search_path\s*=\s*([^\s,]+)")


def persistence_env(url: str, schema: str | None = None) -> dict[str, str]:
    """Map a PostgreSQL URL to the `eventsourcing` library's environment for its postgres module.

    Accepts TCP URLs (`postgresql://user:pw@host:5432/db`) and Unix-socket ones, where the host is a
    directory (`postgresql://user:@/db?host=/run/pg`, as `pgserver` gives); psycopg takes a
    directory as host. The schema is `schema`, else the URL's `options=-csearch_path=X`, else
    public (the schema must exist; the library creates only its tables).
    """
    params = conninfo_to_dict(url)
    options = str(params.pop("options", "") or "")
    schema = schema or _schema_from_options(options)
    unsupported = sorted(set(params) - {"host", "port", "dbname", "user", "password"})
    if unsupported:
        # The library passes only these to psycopg; libpq still reads PGSSLMODE and the like.
        msg = (
            f"database URL parameters {', '.join(unsupported)} are not passed on; "
            "set them as libpq environment variables instead (for example PGSSLMODE)"
        )
        raise ValueError(msg)
    host = str(params.get("host") or "")
    if not host or "," in host:
        msg = "database URL must name exactly one host (or socket directory as ?host=/path)"
        raise ValueError(msg)
    user = str(params.get("user") or getpass.getuser())
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname") or user),
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "CREATE_TABLE": "y",
        # The library ends a transaction idle for 5 s; on a starved 2-core machine a bulk save or
        # a projector batch can pause longer than that between statements (DESIGN.md measurements).
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "60",
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env


def _schema_from_options(options: str) -> str | None:
    match = _SEARCH_PATH.search(options)
    return match.group(1) if match else None


class Root:
    """The one composition root: each of Liaison's parts, built once per process from one
    validated `Settings` (every process — CLI, worker, dispatcher, projector, web — starts here).

    Parts are built on first use, so a process builds only what it uses: the CLI never starts a
    Temporal client, the worker never imports the board."""

    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], datetime] | None = None,
        process: str = "cli",
    ) -> None:
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self.process = process
        """The process's name in its traces (`liaison-<process>`)."""

    @functools.cached_property
    def database_url(self) -> str:
        """The configured PostgreSQL, or the embedded one (started on first need)."""
        return database_url(self.settings)

    @functools.cached_property
    def env(self) -> dict[str, str]:
        """The `eventsourcing` library's environment for that database."""
        return persistence_env(self.database_url)

    @functools.cached_property
    def office(self) -> "LiaisonOffice":
        """The process's one application (it creates the store's tables on a fresh database),
        counting the commands it carries out and the events it appends; it reads and writes the
        board's accounts."""
        from api.users import AccountRows
        from workers.metrics import MeteredOffice

        with one_process_at_a_time(self.env):
            office = MeteredOffice(env=self.env, clock=self.clock)
        office.accounts = AccountRows(self.database_url)
        return office

    async def temporal(self) -> "Client":
        """A Temporal client for the configured server (the embedded dev server by default),
        on a runtime exporting the SDK's metrics and traced, where the settings say so."""
        from temporalio.client import Client

        from workers.metrics import temporal_runtime
        from workers.tracing import temporal_interceptors, tracer_provider

        return await Client.connect(
            **temporal_connect_config(self.settings),
            runtime=temporal_runtime(self.settings),
            interceptors=temporal_interceptors(tracer_provider(self.settings, self.process)),
        )

    def prepare_store(self) -> None:
        """Create the event store's tables on a fresh database (building the application does)."""
        self.office  # noqa: B018 - built for its side effect: the library creates the tables
        self.close()

    def close(self) -> None:
        """Close what was opened (the application's connection pool)."""
        if "office" in self.__dict__:
            self.office.close()


_CREATING_TABLES = 0x4C49_4149  # "LIAI": the advisory lock held while the store's tables are made
"""The lock processes take in turn while the library creates (or checks) the store's tables."""


@contextlib.contextmanager
def one_process_at_a_time(env: Mapping[str, str]) -> Iterator[None]:
    """Processes that start together (worker, dispatcher, projector, board) build the library's
    recorders one at a time: it re-creates its insert function with CREATE OR REPLACE, and two at
    once fail with "tuple concurrently updated". `env` is `persistence_env`'s; the lock is the
    database's and ends with its connection."""
    with psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        dbname=env["POSTGRES_DBNAME"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        autocommit=True,
    ) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_CREATING_TABLES,))
        yield


def temporal_connect_config(settings: Settings) -> "ClientConnectConfig":
    """`Client.connect`'s arguments for the configured server: address, namespace, API key and
    TLS, mapped by the SDK's own client profile (the certificate files are read here)."""
    from temporalio.envconfig import ClientConfigProfile, ClientConfigTLS

    tls = None
    if settings.temporal_tls is False:
        tls = ClientConfigTLS(disabled=True)
    elif settings.temporal_tls or any(
        (
            settings.temporal_tls_client_cert,
            settings.temporal_tls_server_ca_cert,
            settings.temporal_tls_server_name,
        )
    ):
        tls = ClientConfigTLS(
            disabled=False,
            server_name=settings.temporal_tls_server_name,
            server_root_ca_cert=settings.temporal_tls_server_ca_cert,
            client_cert=settings.temporal_tls_client_cert,
            client_private_key=settings.temporal_tls_client_key,
        )
    key = settings.temporal_api_key
    profile = ClientConfigProfile(
        address=settings.temporal_target,
        namespace=settings.temporal_namespace,
        api_key=key.get_secret_value() if key is not None else None,
        tls=tls,
    )
    try:
        return profile.to_client_connect_config()
    except OSError as error:
        msg = f"a Temporal TLS file cannot be read: {error}"
        raise ValueError(msg) from error


def build_office(settings: Settings) -> "LiaisonOffice":
    """The application on the configured database (for a one-off use; processes use `Root`)."""
    return Root(settings).office


def build_projector(settings: Settings) -> "Projector":
    """A projector over every read model on the configured (or embedded) PostgreSQL."""
    from projections.catalog import all_models
    from projections.runner import Projector

    root = Root(settings)
    root.prepare_store()
    return Projector(root.env, all_models())
