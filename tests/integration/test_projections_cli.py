"""The read-side `liaison` subcommands against a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.roles import Role
from projections.log import EVENTS_TABLE
from projections.runner import Projector
from tests.api.test_rendering import problems
from tests.integration import province as pv
from tests.integration.held_build import BATCH, held_build
from tests.integration.test_seal_tampering import cli_on_province, seal, sign_in
from workers.cli import app


@pytest.fixture
def cli(
    pg_url: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[CliRunner]:
    """The CLI on the tiny province, signed in as an inspector of the province."""
    with cli_on_province(pg_url, pg_env, monkeypatch, tmp_path, "vi") as office:
        pv.received_member(office, 1, name="Nguyễn Văn An")
        yield inspector_signed_in(pg_url)


def inspector_signed_in(pg_url: str) -> CliRunner:
    """A CLI runner signed in as an inspector of the province P (whether P exists or not)."""
    sign_in(pg_url, "inspector", Role.INSPECTOR, pv.PROVINCE)
    return CliRunner()


def test_rebuild_inspect_audit_export_and_verify(
    cli: CliRunner, pg_env: dict[str, str], tmp_path: Path
) -> None:
    rebuilt = cli.invoke(app, ["rebuild"])  # every read model but the seal
    assert rebuilt.exit_code == 0, rebuilt.output
    seal(pg_env)  # the seal, as the projector process keeps it
    shadow = cli.invoke(app, ["rebuild", "facts", "--shadow"])
    assert "đã chuyển sang bản mới" in shadow.output, shadow.output
    again = cli.invoke(app, ["rebuild", "facts", "--shadow"])  # the switched partitions' names
    assert "đã chuyển sang bản mới" in again.output, again.output  # are free for the next shadow
    with Projector(pg_env, []).transaction() as cur:  # a live row that no event gives
        cur.execute("UPDATE member SET name = 'Nguyễn Văn Sửa' WHERE name = 'Nguyễn Văn An'")
    tampered = cli.invoke(app, ["rebuild", "facts", "--shadow"])
    assert "giữ bản đang dùng; 2 dòng khác với bản dựng lại" in tampered.output, tampered.output
    assert problems(tampered.output, "vi", units={}) == [], tampered.output  # no table's name
    with Projector(pg_env, []).transaction() as cur:
        cur.execute("UPDATE member SET name = 'Nguyễn Văn An' WHERE name = 'Nguyễn Văn Sửa'")
        cur.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid"
            " WHERE i.inhparent = 'fact'::regclass ORDER BY 1"
        )
        partitions = [r["relname"] for r in cur.fetchall()]
    assert "fact_attendance" in partitions
    assert not [name for name in partitions if "shadow" in name]
    listing = cli.invoke(app, ["projections"])
    assert "Số liệu tổng quan" in listing.output  # each read model by its name (facts)
    assert "Niêm phong dữ liệu" in listing.output  # (seal)
    for output in (rebuilt.output, shadow.output, listing.output):  # never by its code
        assert problems(output, "vi", units={}) == [], output
    board = cli.invoke(app, ["inspect", "--unit", "P", "--as-of", "2026-11-22"])
    assert board.exit_code == 0, board.output
    assert "Chi bộ tiếp nhận" in board.output  # the figure by its label (LIAISON_LANG: vi)
    assert "received_cell" not in board.output
    trail = cli.invoke(app, ["audit", "--member", pv.party_card(1)])
    assert "Chi bộ tiếp nhận" in trail.output, trail.output
    timeline = cli.invoke(app, ["timeline", pv.party_card(1)])
    for output in (board.output, trail.output, timeline.output):  # Vietnamese words only
        assert problems(output, "vi", units={}) == [], output
    evidence = tmp_path / "evidence.json"
    assert (
        cli.invoke(
            app, ["export-evidence", "--unit", "X", "--as-of", "2026-11-22", str(evidence)]
        ).exit_code
        == 0
    )
    seal(pg_env)  # what was recorded since (the runs of maintenance commands)
    assert cli.invoke(app, ["verify", "--evidence", str(evidence)]).exit_code == 0
    with Projector(pg_env, []).transaction() as cur:  # the last sealed event goes
        cur.execute(
            f"DELETE FROM {EVENTS_TABLE} WHERE notification_id ="
            " (SELECT max(notification_id) FROM seal_link)"
        )
    broken = cli.invoke(app, ["verify", "--evidence", str(evidence)])
    assert broken.exit_code == 1, broken.output
    assert "một sự kiện đã niêm phong bị xóa" in broken.output  # deleted, said in Vietnamese


def test_reads_of_the_models_wait_for_a_bulk_build_and_its_progress_is_shown(
    cli: CliRunner, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.invoke(app, ["rebuild"]).exit_code == 0
    seal(pg_env)  # every model has a position: the build's progress is the facts model's
    with held_build(pg_env, monkeypatch) as total:
        inspected = cli.invoke(app, ["inspect", "--unit", pv.PROVINCE])
        assert inspected.exit_code != 0
        assert f"({BATCH}/{total} sự kiện)" in inspected.output, inspected.output
        assert "Traceback" not in inspected.output
        listing = cli.invoke(app, ["projections"])  # how far it has got: still answered
        assert listing.exit_code == 0, listing.output
        assert f"{BATCH:,}" in listing.output
    assert cli.invoke(app, ["inspect", "--unit", pv.PROVINCE]).exit_code == 0
