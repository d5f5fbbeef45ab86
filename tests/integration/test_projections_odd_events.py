"""No single stored event, however odd its text, can stop a read model (DESIGN.md invariant).

Each odd event is written straight into the events table, past the domain's checks, as a
damaged store or a command side with a hole would leave it; the read models must go past it.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from domain import commands as c
from domain.meeting import AttendanceEntry
from domain.state import Attendance
from projections.catalog import all_models
from projections.log import EVENTS_TABLE, MAX_TEXT
from projections.runner import Projector
from projections.seal import Break, verify
from tests.integration import province as pv
from tests.integration.test_projections import _store, snapshot

NUL_NAME = "Nul\u0000Name"
LONG_NAME = "Nguyễn Văn " * 20_000  # ≈ 280 KB of UTF-8, 220,000 characters


def _first(cur: Any, event: str) -> dict[str, Any]:
    """The first stored event of a class, its state parsed."""
    cur.execute(
        f"SELECT topic, convert_from(state, 'UTF8') AS s FROM {EVENTS_TABLE}"
        " WHERE topic LIKE %s ORDER BY notification_id LIMIT 1",
        (f"%:{event}",),
    )
    row = cur.fetchone()
    return {"topic": row["topic"], "state": json.loads(row["s"])}


def _forge(cur: Any, topic: str, state: bytes) -> tuple[uuid.UUID, int]:
    """Store one event as given, under a fresh originator; return it and its notification id."""
    originator = uuid.uuid4()
    cur.execute(
        f"INSERT INTO {EVENTS_TABLE} (originator_id, originator_version, topic, state)"
        " VALUES (%s, 1, %s, %s) RETURNING notification_id",
        (originator, topic, state),
    )
    return originator, int(cur.fetchone()["notification_id"])


def _copy(
    cur: Any, event: str, change: Callable[[dict[str, Any]], None], topic: str | None = None
) -> tuple[uuid.UUID, int]:
    """Store a copy of the first stored event of a class, changed, under a fresh originator.

    `json.dumps` writes a NUL as the escape `\\u0000` and a lone surrogate as `\\ud800`, exactly
    the JSON text that reaches the store when nothing refuses it.
    """
    found = _first(cur, event)
    state = found["state"]
    change(state)
    originator, nid = _forge(cur, topic or found["topic"], b"")
    state["originator_id"] = str(originator)
    cur.execute(
        f"UPDATE {EVENTS_TABLE} SET state = %s WHERE notification_id = %s",
        (json.dumps(state).encode(), nid),
    )
    return originator, nid


def _set(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(state: dict[str, Any]) -> None:
        for key, value in fields.items():
            if "." in key:
                outer, inner = key.split(".")
                state[outer][inner] = value
            else:
                state[key] = value

    return change


def test_odd_stored_events_stop_no_read_model(
    pg_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    office = _store(pg_env, members=2)
    projector = Projector(pg_env, all_models(), batch=7)
    projector.catch_up()
    with projector.transaction() as cur:
        nul, nul_at = _copy(cur, "MemberRegistered", _set(name=NUL_NAME, party_card_number="NUL1"))
        lone, _ = _copy(cur, "MemberRegistered", _set(name="Lone\ud800Name"))
        long, _ = _copy(cur, "MemberRegistered", _set(name=LONG_NAME))
        # 3,200 characters that do not compress: too long for an entry of a btree index
        long_actor = "".join(uuid.uuid4().hex for _ in range(100))
        tall, tall_at = _copy(cur, "MemberRegistered", _set(**{"actor.id": long_actor}))
        referral, _ = _copy(
            cur, "Referred", _set(member_id=str(nul), member_name=NUL_NAME, comment="a\u0000b")
        )
        _copy(
            cur,
            "UnitEstablished",
            _set(**{"unit.id": "Z9", "unit.name": "Tổ\u0000 9", "unit.parent_id": "X"}),
        )
        escalation, _ = _copy(cur, "EscalationOpened", _set(awaited="receipt\u0000\ud800"))
        unreadable = {
            _copy(cur, "MemberRegistered", _set(name=42))[1]: "invalid",
            _copy(cur, "MemberRegistered", _set(birth_date="not a date"))[1]: "invalid",
            _copy(cur, "MemberRegistered", lambda s: None, "domain.member:MemberVanished")[1]: (
                "unknown topic"
            ),
            _copy(cur, "MemberRegistered", lambda s: None, "os:system")[1]: "unknown topic",
            _forge(cur, "domain.member:MemberRegistered", b'{"originator_id": "\xff\xfe')[1]: (
                "not JSON"
            ),
            _forge(cur, "domain.member:MemberRegistered", b"[" * 100_000)[1]: "not JSON",
            _forge(cur, "domain.member:MemberRegistered", b"")[1]: "not JSON",
        }
    # Later events, recorded the ordinary way, must be projected as if nothing had happened.
    later = pv.received_member(office, 3)
    office.execute(
        c.RecordMeeting(
            **pv.by(pv.SECRETARY, date(2026, 6, 1)),
            cell_id=pv.CELL,
            attendance=(
                AttendanceEntry(liaison_id=later.liaison_id, attendance=Attendance.PRESENT),
            ),
            others_present=True,  # members 1 and 2 of the cell, received earlier
        )
    )
    head = pv.last_notification_id(office)

    with caplog.at_level(logging.WARNING):
        projector.catch_up()

    with projector.transaction() as cur:
        assert set(projector.positions(cur).values()) == {head}
        cur.execute("SELECT member_id, name FROM member")
        names = {r["member_id"]: r["name"] for r in cur.fetchall()}
        assert names[nul] == "Nul\ufffdName"
        assert names[lone] == "Lone\ufffdName"
        assert len(names[long]) == MAX_TEXT
        assert names[long] == LONG_NAME[: MAX_TEXT - 1] + "…"
        assert tall in names
        assert names[later.member_id] == "Đảng viên 3"

        cur.execute("SELECT count(*) AS n FROM audit_event")
        assert cur.fetchone()["n"] == pv.event_count(office)
        cur.execute(
            "SELECT notification_id, event, units, details FROM audit_event"
            " WHERE event = 'Unreadable' ORDER BY 1"
        )
        trail = {r["notification_id"]: r for r in cur.fetchall()}
        # The long actor id fits no index of the audit trail: the event is shown as unreadable
        # there, and projected everywhere else.
        assert set(trail) == {*unreadable, tall_at}
        # Whose they are is unknown: the top of the tree sees them.
        assert {tuple(r["units"]) for r in trail.values()} == {(pv.PROVINCE,)}
        for nid, problem in unreadable.items():
            assert trail[nid]["details"]["problem"].startswith(problem), trail[nid]
        cur.execute("SELECT details FROM audit_event WHERE originator_id = %s", (nul,))
        assert cur.fetchone()["details"]["name"] == "Nul\ufffdName"
        cur.execute(
            "SELECT comment, details FROM audit_event WHERE originator_id = %s", (referral,)
        )
        row = cur.fetchone()
        assert (row["comment"], row["details"]["member_name"]) == ("a\ufffdb", "Nul\ufffdName")

        cur.execute("SELECT stage_after FROM timeline WHERE liaison_id = %s", (referral,))
        assert [r["stage_after"] for r in cur.fetchall()] == ["referred"]
        cur.execute("SELECT state FROM timeline_state WHERE liaison_id = %s", (referral,))
        assert cur.fetchone()["state"]["member_name"] == "Nul\ufffdName"
        cur.execute("SELECT count(*) AS n FROM timeline WHERE liaison_id = %s", (later.liaison_id,))
        assert cur.fetchone()["n"] == 4  # referred, two receipts, the meeting
        cur.execute("SELECT kind FROM fact WHERE liaison_id = %s ORDER BY 1", (referral,))
        assert "referred" in [r["kind"] for r in cur.fetchall()]
        cur.execute("SELECT count(*) AS n FROM fact WHERE member_id = %s", (later.member_id,))
        assert cur.fetchone()["n"] >= 5

        cur.execute("SELECT name FROM unit WHERE unit_id = 'Z9'")
        assert cur.fetchone()["name"] == "Tổ\ufffd 9"
        cur.execute("SELECT awaited FROM escalation WHERE escalation_id = %s", (escalation,))
        assert cur.fetchone()["awaited"] == "receipt\ufffd\ufffd"

        verdict = verify(cur)  # the seal hashes the stored bytes, odd or not
        assert verdict.checked == pv.event_count(office)
        # The chain holds; what fails is that no receipt names the events forged with SQL.
        assert verdict.broken == Break(nul_at, "unreceipted")

    logged = caplog.text
    for nid in [*unreadable, tall_at]:
        assert f"notification {nid}" in logged

    # The invariant still holds: a replay from zero gives every model the same rows.
    before = {m.name: snapshot(projector, m) for m in projector.models}
    projector.rebuild()
    assert {m.name: snapshot(projector, m) for m in projector.models} == before
    projector.close()
