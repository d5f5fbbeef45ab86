"""An insider with SQL against the seal: each tampering of issue 16 makes `liaison verify` fail,
naming the position, on a real PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from application.office import LiaisonOffice
from domain.policy import policy_in_force
from domain.stamp import Stamp
from domain.state import ClosingReason
from projections.log import EVENTS_TABLE
from projections.runner import Projector
from projections.seal import Seal
from tests.integration import province as pv
from workers import cli_support
from workers.cli import app


@pytest.fixture
def store(
    pg_url: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[LiaisonOffice]:
    """The tiny province with three members, sealed; the CLI pointed at it, in English."""
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LIAISON_LANG", "en")
    monkeypatch.delenv("LIAISON_TOKEN", raising=False)
    cli_support.settings.cache_clear()
    monkeypatch.setattr(cli_support.console, "width", 300)
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    pv.build_province(office)
    for n in (1, 2, 3):
        pv.received_member(office, n)
    seal(pg_env)
    yield office
    cli_support.settings.cache_clear()


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
