"""An insider with SQL against the seal: each tampering of issue 16 makes `liaison verify` fail,
naming the position, on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.users import UserStore
from application.office import LiaisonOffice
from domain.policy import policy_in_force
from domain.roles import Role
from domain.stamp import Stamp
from domain.state import ClosingReason
from projections.log import EVENTS_TABLE
from projections.runner import Projector
from projections.seal import Seal
from tests.integration import province as pv
from tests.integration.test_cli_login import FAST, PASSWORD
from workers import cli_support
from workers.cli import app


@pytest.fixture
def store(
    pg_url: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[LiaisonOffice]:
    """The tiny province with three members, sealed; the CLI pointed at it, in English."""
    with cli_on_province(pg_url, pg_env, monkeypatch, tmp_path, "en") as office:
        for n in (1, 2, 3):
            pv.received_member(office, n)
        seal(pg_env)
        yield office


@contextmanager
def cli_on_province(
    pg_url: str,
    pg_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    language: str,
) -> Iterator[LiaisonOffice]:
    """The tiny province in this schema and the CLI pointed at it; the office closed afterwards."""
    point_cli_at(pg_url, monkeypatch, tmp_path, language)
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    try:
        pv.build_province(office)
        yield office
    finally:
        office.close()
        cli_support.settings.cache_clear()


def point_cli_at(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, language: str
) -> None:
    """The CLI on this database, with a config folder of its own, in the language, wide."""
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LIAISON_LANG", language)
    monkeypatch.delenv("LIAISON_TOKEN", raising=False)
    cli_support.settings.cache_clear()
    monkeypatch.setattr(cli_support.console, "width", 300)


def seal(pg_env: dict[str, str]) -> None:
    """Run the seal's projector up to the store's head (as the projector process does)."""
    projector = Projector(pg_env, [Seal()])
    try:
        projector.catch_up()
    finally:
        projector.close()


def verify(*args: str) -> Any:
    """`liaison verify` with no wait for a projector (none runs here)."""
    return CliRunner().invoke(app, ["verify", "--wait", "0", *args])


def sql(pg_env: dict[str, str], statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Run one statement as an insider would, in its own transaction; return the rows."""
    projector = Projector(pg_env, [])
    try:
        with projector.transaction() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        projector.close()


def positions(pg_env: dict[str, str]) -> list[int]:
    rows = sql(pg_env, f"SELECT notification_id FROM {EVENTS_TABLE} ORDER BY 1")
    return [r["notification_id"] for r in rows]


def edit(pg_env: dict[str, str], position: int) -> None:
    """Change one stored event's bytes in place (its comment)."""
    rows = sql(pg_env, f"SELECT state FROM {EVENTS_TABLE} WHERE notification_id = %s", (position,))
    state = json.loads(bytes(rows[0]["state"]))
    state["comment"] = "sửa lén"
    sql(
        pg_env,
        f"UPDATE {EVENTS_TABLE} SET state = %s WHERE notification_id = %s",
        (json.dumps(state).encode(), position),
    )


def test_an_untouched_store_verifies(store: LiaisonOffice) -> None:
    result = verify()
    assert result.exit_code == 0, result.output
    assert "events sealed up to position" in result.output


def test_a_seal_cut_short_then_an_event_changed_beyond_it_fails(
    store: LiaisonOffice, pg_env: dict[str, str]
) -> None:
    ids = positions(pg_env)
    cut, changed = ids[len(ids) // 2], ids[-3]
    sql(pg_env, "DELETE FROM seal_link WHERE notification_id > %s", (cut,))
    edit(pg_env, changed)
    result = verify()
    assert result.exit_code == 1, result.output
    assert f"the seal ends before position {cut + 1} though it had sealed further" in (
        result.output
    )


def test_events_the_seal_has_not_reached_fail(store: LiaisonOffice, pg_env: dict[str, str]) -> None:
    pv.received_member(store, 4)  # recorded, but no projector runs to seal it
    first = max(r["notification_id"] for r in sql(pg_env, "SELECT * FROM seal_link")) + 1
    result = verify()
    assert result.exit_code == 1, result.output
    assert f"events from position {first} on are not sealed" in result.output


def _forge_closing(office: LiaisonOffice, pg_env: dict[str, str], shift: timedelta) -> int:
    """Append `Closed(died)` to member 1's liaison with SQL, as an insider would: built with the
    domain's own code, its time copied from the liaison's last event (moved by `shift`)."""
    member = office.member_by_card(pv.party_card(1))
    liaison = office.liaison(member.liaison_ids[0])
    last = office.history(liaison.id)[-1]
    stamp = Stamp(
        actor=pv.COMMUNE_CLERK,
        command_id=last.command_id,
        effective_date=pv.TODAY,
        regulation=policy_in_force(pv.TODAY).regulation,
    )
    liaison.close(stamp, ClosingReason.DIED, None)
    (event,) = liaison.collect_events()
    stored = office.mapper.to_stored_event(event.model_copy(update={"timestamp": last.timestamp}))
    state = json.loads(stored.state)
    state["timestamp"] = (last.timestamp + shift).isoformat()
    rows = sql(
        pg_env,
        f"INSERT INTO {EVENTS_TABLE} (originator_id, originator_version, topic, state)"
        " VALUES (%s, %s, %s, %s) RETURNING notification_id",
        (stored.originator_id, stored.originator_version, stored.topic, json.dumps(state).encode()),
    )
    seal(pg_env)  # the projector seals it like any other event
    return int(rows[0]["notification_id"])


def test_a_forged_append_without_a_receipt_fails(
    store: LiaisonOffice, pg_env: dict[str, str]
) -> None:
    forged = _forge_closing(store, pg_env, timedelta(0))
    result = verify()
    assert result.exit_code == 1, result.output
    assert f"position {forged}: no command receipt names this event" in result.output


def test_a_forged_append_recorded_in_the_past_fails(
    store: LiaisonOffice, pg_env: dict[str, str]
) -> None:
    forged = _forge_closing(store, pg_env, -timedelta(days=30))
    result = verify()
    assert result.exit_code == 1, result.output
    assert f"position {forged}: recorded earlier than an event before it" in result.output


def test_what_was_caught_before_is_still_caught_and_said_in_vietnamese(
    store: LiaisonOffice, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIAISON_LANG", "vi")
    cli_support.settings.cache_clear()
    changed = positions(pg_env)[4]
    edit(pg_env, changed)
    result = verify()
    assert result.exit_code == 1, result.output
    assert f"niêm phong bị phá vỡ tại vị trí {changed}: sự kiện đã lưu bị sửa" in result.output


def sign_in(pg_url: str, name: str, role: Role, unit: str) -> None:
    """Add a board user and sign the CLI in as them."""

    async def add() -> None:
        users = UserStore(pg_url, hasher=FAST)
        await users.setup()
        await users.add(name, PASSWORD, role, unit)
        await users.close()

    asyncio.run(add())
    login = CliRunner().invoke(app, ["login", name, "--password-stdin"], input=PASSWORD)
    assert login.exit_code == 0, login.output


def audit_rows(pg_env: dict[str, str], topic_end: str) -> list[dict[str, Any]]:
    rows = sql(
        pg_env,
        f"SELECT state FROM {EVENTS_TABLE} WHERE topic LIKE %s ORDER BY notification_id",
        (f"%:{topic_end}",),
    )
    return [json.loads(bytes(r["state"])) for r in rows]


def test_rebuilding_the_seal_is_refused_to_anyone_but_an_administrator_and_audited(
    store: LiaisonOffice, pg_url: str, pg_env: dict[str, str]
) -> None:
    sign_in(pg_url, "inspector", Role.INSPECTOR, pv.PROVINCE)
    before = sql(pg_env, "SELECT * FROM seal_link ORDER BY notification_id")
    refused = CliRunner().invoke(app, ["rebuild", "seal"])
    assert refused.exit_code == 2, refused.output
    assert "may not rebuild the seal" in refused.output
    [record] = audit_rows(pg_env, "PermissionRefused")
    assert (record["action"], record["code"]) == ("RebuildSeal", "out_of_scope")
    assert audit_rows(pg_env, "SealRebuilt") == []
    assert sql(pg_env, "SELECT * FROM seal_link ORDER BY notification_id") == before


def test_an_administrators_rebuild_is_recorded_with_what_it_replaced(
    store: LiaisonOffice, pg_url: str, pg_env: dict[str, str]
) -> None:
    head = sql(pg_env, "SELECT * FROM seal_link ORDER BY notification_id DESC LIMIT 1")[0]
    sign_in(pg_url, "root", Role.ADMINISTRATOR, pv.PROVINCE)
    done = CliRunner().invoke(app, ["rebuild", "seal"])
    assert done.exit_code == 0, done.output
    [rebuilt] = audit_rows(pg_env, "SealRebuilt")
    assert rebuilt["replaced_position"] == head["notification_id"]
    assert rebuilt["replaced_link"] == bytes(head["link"]).hex()
    assert rebuilt["actor"]["id"] == "root"
    assert verify().exit_code == 0


def test_a_published_checkpoint_catches_an_edit_hidden_by_a_rebuilt_seal(
    store: LiaisonOffice,
    pg_url: str,
    pg_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key_file, folder = tmp_path / "seal.key", tmp_path / "checkpoints"
    made = CliRunner().invoke(app, ["seal", "keygen", str(key_file)])
    assert made.exit_code == 0, made.output
    assert oct(key_file.stat().st_mode & 0o777) == oct(0o600)
    monkeypatch.setenv("LIAISON_SEAL_KEY_FILE", str(key_file))
    monkeypatch.setenv("LIAISON_CHECKPOINT_DIR", str(folder))
    cli_support.settings.cache_clear()
    published = CliRunner().invoke(app, ["seal", "publish"])
    assert published.exit_code == 0, published.output
    [file] = folder.glob("*.json")
    checkpoint = json.loads(file.read_text())
    [recorded] = audit_rows(pg_env, "CheckpointPublished")
    assert (recorded["position"], recorded["signature"]) == (
        checkpoint["position"],
        checkpoint["signature"],
    )
    seal(pg_env)
    assert verify("--checkpoints", str(folder)).exit_code == 0

    changed = positions(pg_env)[3]  # an event the checkpoint covers
    edit(pg_env, changed)
    sign_in(pg_url, "root", Role.ADMINISTRATOR, pv.PROVINCE)
    assert CliRunner().invoke(app, ["rebuild", "seal"]).exit_code == 0
    assert verify().exit_code == 0  # the rebuilt chain is consistent with the edited store…
    result = verify("--checkpoints", str(folder))
    assert result.exit_code == 1, result.output  # …but not with what was signed before
    assert f"the seal differs at position {checkpoint['position']} from the checkpoint" in (
        result.output
    )


def test_a_checkpoint_not_signed_by_the_trusted_key_fails(
    store: LiaisonOffice, pg_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "checkpoints"
    for name in ("ours.key", "forger.key"):
        assert CliRunner().invoke(app, ["seal", "keygen", str(tmp_path / name)]).exit_code == 0
    monkeypatch.setenv("LIAISON_SEAL_KEY_FILE", str(tmp_path / "forger.key"))
    cli_support.settings.cache_clear()
    assert CliRunner().invoke(app, ["seal", "publish", "--to", str(folder)]).exit_code == 0
    seal(pg_env)
    monkeypatch.setenv("LIAISON_SEAL_KEY_FILE", str(tmp_path / "ours.key"))
    cli_support.settings.cache_clear()
    result = verify("--checkpoints", str(folder))
    assert result.exit_code == 1, result.output
    assert "is not signed by the seal key" in result.output


def test_publishing_without_a_key_says_so(store: LiaisonOffice) -> None:
    result = CliRunner().invoke(app, ["seal", "publish"])
    assert result.exit_code == 2, result.output
    assert "No seal key is set here" in result.output


def test_a_broken_seal_is_never_signed(
    store: LiaisonOffice, pg_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert CliRunner().invoke(app, ["seal", "keygen", str(tmp_path / "k")]).exit_code == 0
    monkeypatch.setenv("LIAISON_SEAL_KEY_FILE", str(tmp_path / "k"))
    cli_support.settings.cache_clear()
    edit(pg_env, positions(pg_env)[2])
    result = CliRunner().invoke(app, ["seal", "publish", "--to", str(tmp_path / "cp")])
    assert result.exit_code == 1, result.output
    assert "Nothing was signed." in result.output
    assert not list((tmp_path / "cp").glob("*.json"))
    assert audit_rows(pg_env, "CheckpointPublished") == []
