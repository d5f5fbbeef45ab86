"""`liaison backup` and `liaison restore` on a real PostgreSQL: back up, destroy, restore."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from application.office import LiaisonOffice
from projections import reads
from projections.catalog import all_models
from projections.dashboard import Period, dashboard
from projections.log import EVENTS_TABLE
from projections.runner import Projector
from tests.integration import province as pv
from tests.integration.test_seal_tampering import seal, store, verify  # noqa: F401
from workers import cli_support
from workers.backup import schema_of, tool
from workers.cli import app

AS_OF = date(2026, 11, 22)


@pytest.fixture
def projected(
    store: LiaisonOffice,  # noqa: F811
    pg_url: str,
    pg_env: dict[str, str],
) -> str:
    """The sealed tiny province of test_seal_tampering, every read model projected; its URL."""
    projector = Projector(pg_env, all_models())
    projector.catch_up()
    projector.close()
    return pg_url


def _figures(url: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        conn = await reads.connect(url)
        try:
            return await dashboard(conn, Period(pv.PROVINCE, AS_OF))
        finally:
            await conn.close()

    return asyncio.run(read())


def _count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        return int(row.fetchone()[0])  # type: ignore[index]


def test_a_backup_restores_the_store_after_it_is_destroyed(
    projected: str, pg_env: dict[str, str], tmp_path: Path
) -> None:
    cli = CliRunner()
    before = _figures(projected)
    assert before["current"]["received_cell"] == 3
    file = tmp_path / "liaison.backup"
    made = cli.invoke(app, ["backup", str(file)])
    assert made.exit_code == 0, made.output
    assert EVENTS_TABLE in made.output
    events = _count(projected, EVENTS_TABLE)

    schema = schema_of(projected)
    with psycopg.connect(projected, autocommit=True) as conn:  # the store is lost
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))

    back = cli.invoke(app, ["restore", str(file)])
    assert back.exit_code == 0, back.output
    assert "the read models are rebuilt" in back.output
    assert _count(projected, EVENTS_TABLE) == events + 1  # and the restore's own record
    assert _figures(projected) == before
    seal(pg_env)
    checked = verify()
    assert checked.exit_code == 0, checked.output
    assert "events sealed" in checked.output


def test_a_restore_over_a_store_with_events_or_from_another_file_is_refused(
    projected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = CliRunner()
    file = tmp_path / "liaison.backup"
    assert cli.invoke(app, ["backup", str(file)]).exit_code == 0
    events = _count(projected, EVENTS_TABLE)

    again = cli.invoke(app, ["backup", str(file)])  # never overwrites a file
    assert again.exit_code == 2
    assert "already exists" in again.output

    over = cli.invoke(app, ["restore", str(file)])
    assert over.exit_code == 2
    assert f"the store already holds {events} events" in over.output.replace("\n", " ")
    assert "Nothing was changed" in over.output

    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"PGDMP not really")
    refused = cli.invoke(app, ["restore", str(junk), "--replace"])
    assert refused.exit_code == 2
    assert "is not a Liaison backup" in refused.output.replace("\n", " ")
    assert _count(projected, EVENTS_TABLE) == events  # nothing written by either

    monkeypatch.setenv("LIAISON_LANG", "vi")  # said in the CLI's language
    cli_support.settings.cache_clear()
    said = cli.invoke(app, ["restore", str(junk)]).output.replace("\n", " ")
    assert "không phải là bản sao lưu của Liaison" in said
    assert "Không có gì thay đổi." in said

    replaced = cli.invoke(app, ["restore", str(file), "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert _count(projected, EVENTS_TABLE) == events + 1


def test_the_dump_tool_is_as_new_as_the_server(pg_url: str) -> None:
    path = tool("pg_dump", pg_url)
    with psycopg.connect(pg_url) as conn:
        server = conn.info.server_version // 10000
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True)
    assert int(out.stdout.split()[-1].split(".")[0]) >= server
