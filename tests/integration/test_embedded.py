"""The embedded PostgreSQL, and the URL-to-environment mapping against real PostgreSQL."""

from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from pgserver.postgres_server import get_server

from workers.bootstrap import persistence_env
from workers.embedded import database_url, stop_postgres
from workers.settings import Settings


class Tally(Aggregate):
    """A trivial aggregate: a counter."""

    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self) -> None:
        self.count += 1


def test_tcp_url_maps_to_eventsourcing_env() -> None:
    env = persistence_env("postgresql://alice:s%40cret@db.example.org:5433/liaison")

    assert env == {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": "liaison",
        "POSTGRES_HOST": "db.example.org",
        "POSTGRES_PORT": "5433",
        "POSTGRES_USER": "alice",
        "POSTGRES_PASSWORD": "s@cret",
        "CREATE_TABLE": "y",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "60",
    }


def test_socket_url_maps_host_to_the_socket_directory() -> None:
    env = persistence_env("postgresql://postgres:@/postgres?host=/tmp/pg%20data")

    assert env["POSTGRES_HOST"] == "/tmp/pg data"
    assert env["POSTGRES_PORT"] == "5432"
    assert env["POSTGRES_USER"] == "postgres"
    assert env["POSTGRES_PASSWORD"] == ""
    assert env["POSTGRES_DBNAME"] == "postgres"
    assert "POSTGRES_SCHEMA" not in env


def test_schema_comes_from_search_path_option_or_argument() -> None:
    url = "postgres://u@h/db?options=-csearch_path%3Dliaison"

    assert persistence_env(url)["POSTGRES_SCHEMA"] == "liaison"
    assert persistence_env(url, schema="other")["POSTGRES_SCHEMA"] == "other"
    assert (
        persistence_env("postgres://u@h/db?options=-c%20search_path%3Dx")["POSTGRES_SCHEMA"] == "x"
    )


@pytest.mark.parametrize(
    "url", ["postgresql://u@h/db?sslmode=require", "postgresql:///db", "postgresql://u@a,b/db"]
)
def test_urls_the_library_cannot_honour_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="database URL"):
        persistence_env(url)


def test_settings_refuse_a_non_postgres_database_url() -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        Settings(database_url="mysql://u@h/db")


@pytest.mark.postgres
def test_pgserver_keeps_data_across_a_restart(tmp_path: Path) -> None:
    pgdata = tmp_path / "postgres"
    server = get_server(pgdata, cleanup_mode="stop")
    try:
        with psycopg.connect(server.get_uri()) as conn:
            conn.execute("CREATE TABLE kept (note text)")
            conn.execute("INSERT INTO kept VALUES ('still here')")
    finally:
        server.cleanup()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(server.get_uri(), connect_timeout=2)

    server = get_server(pgdata, cleanup_mode="stop")
    try:
        with psycopg.connect(server.get_uri()) as conn:
            assert conn.execute("SELECT note FROM kept").fetchall() == [("still here",)]
    finally:
        server.cleanup()


@pytest.mark.postgres
def test_embedded_database_url_starts_postgres_in_the_data_dir(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings(data_dir=data_dir)

    url = database_url(settings)

    assert database_url(settings) == url
    assert (data_dir / "postgres" / "PG_VERSION").exists()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    stop_postgres(data_dir)


def test_external_database_url_is_used_as_given(data_dir: Path) -> None:
    url = "postgresql://postgres@db.example.org/liaison"

    assert database_url(Settings(database_url=url, data_dir=data_dir)) == url
    assert not (data_dir / "postgres").exists()


@pytest.mark.postgres
@pytest.mark.parametrize("url_fixture", ["pg_url", "embedded_pg_url"])
def test_application_saves_and_reloads_through_the_env(
    url_fixture: str, request: pytest.FixtureRequest
) -> None:
    """`pg_url` is TCP when LIAISON_TEST_DATABASE_URL is set; `embedded_pg_url` is a socket."""
    url = request.getfixturevalue(url_fixture)
    env = persistence_env(url)
    writer: Application[UUID] = Application(env=env)
    tally = Tally()
    tally.increment()
    tally.increment()
    writer.save(tally)
    writer.close()

    reader: Application[UUID] = Application(env=env)
    try:
        reloaded: Tally = reader.repository.get(tally.id)
    finally:
        reader.close()

    assert isinstance(reloaded.id, UUID)
    assert reloaded.count == 2
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (env["POSTGRES_SCHEMA"],),
        ).fetchall()
    assert ("application_events",) in tables
