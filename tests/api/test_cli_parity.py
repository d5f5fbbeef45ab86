"""The same refused command through the API and through the CLI leaves the same audit row."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from api.users import UserStore
from application.office import LiaisonOffice
from domain import commands as c
from projections.runner import Projector
from tests.api.conftest import PASSWORD, Auth, body
from tests.api.test_commands import attending, post
from tests.api.test_documents import SUPERVISOR, moved_member
from tests.integration import province as p
from tests.integration.test_cli_login import Shell
from workers import cli_support

IDS_AND_TIMES = ("notification_id", "originator_id", "command_id", "recorded_at")


def refusal_rows(pg_url: str) -> list[dict[str, Any]]:
    """The trail's permission refusals in log order, without their ids and times."""
    with psycopg.connect(pg_url, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT * FROM audit_event WHERE event = 'PermissionRefused' ORDER BY notification_id"
        ).fetchall()
    return [{k: v for k, v in row.items() if k not in IDS_AND_TIMES} for row in rows]


async def test_a_refused_command_and_read_leave_equal_rows_from_the_api_and_the_cli(
    client: httpx.AsyncClient,
    auth: Auth,
    office: LiaisonOffice,
    projector: Projector,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    member_id, liaison_id = await attending(client, auth)
    registered = await post(
        client,
        await auth("clerk"),
        "register-member",
        **body(
            name="Đảng viên 2",
            birth_date="1980-01-01",
            party_card_number=p.party_card(2),
            workplace_unit_id=p.WORKPLACE,
        ),
    )
    assert registered.status_code == 200, registered.text
    # The CLI's office on the board's clock, so both record the same business date.
    monkeypatch.setattr(cli_support, "office", lambda: office)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("LIAISON_LANG", "en")
    monkeypatch.delenv("LIAISON_TOKEN", raising=False)
    secretary2, clerk2 = (Shell(monkeypatch, tmp_path / name) for name in ("s2", "c2"))
    for shell, name in ((secretary2, "secretary2"), (clerk2, "clerk2")):
        signed_in = await asyncio.to_thread(shell.login, name, PASSWORD)
        assert signed_in.exit_code == 0, signed_in.output
    today = p.TODAY.isoformat()
    attempts = [
        (
            "assess",
            "secretary2",
            body(liaison_id=liaison_id, year=2026, grade="fulfilled_well",
                 front_committee_representative="B"),
            secretary2,
            ["assess", p.party_card(1), "--year", "2026", "--grade", "fulfilled_well",
             "--front", "B", "--date", today],
        ),
        (
            "refer",
            "clerk2",
            body(member_id=registered.json()["member_id"],
                 referral={"residence_commune_id": "X2"}),
            clerk2,
            ["refer", p.party_card(2), "--commune", "X2", "--date", today],
        ),
    ]  # fmt: skip
    for verb, user, fields, shell, args in attempts:
        api = await post(client, await auth(user), verb, **fields)
        assert api.status_code == 404, api.text  # another subtree's record: as if unknown
        cli = await asyncio.to_thread(shell, *args)
        assert cli.exit_code == 2, cli.output
    api_read = await client.get(
        f"/api/members/{member_id}/timeline", headers=await auth("secretary2")
    )
    assert api_read.status_code == 404
    cli_read = await asyncio.to_thread(secretary2, "timeline", p.party_card(1))
    assert cli_read.exit_code == 2
    await asyncio.to_thread(projector.catch_up)
    rows = refusal_rows(pg_url)
    assert len(rows) == 6
    for api_row, cli_row in zip(rows[::2], rows[1::2], strict=True):
        assert api_row == cli_row
    assert [(r["actor_id"], r["details"]["action"]) for r in rows[::2]] == [
        ("secretary2", "Assess"),
        ("clerk2", "Refer"),
        ("secretary2", "read"),
    ]


async def test_the_cli_shows_a_former_residence_only_its_own_liaison_of_a_member_who_moved(
    users: UserStore, office: LiaisonOffice, projector: Projector, pg_url: str,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    """As the board: the member's timeline and trail show nothing of the new liaison (its
    commune X2, its comment) to the former cell's secretary; the workplace's clerk reads both."""
    _, new = moved_member(office, "Trần Văn Dời")
    office.execute(
        c.ExemptFromActivities(**p.by(SUPERVISOR, date(2026, 5, 1)), liaison_id=new,
                               reason="travelling", comment="ở tổ mới")
    )  # fmt: skip
    await asyncio.to_thread(projector.catch_up)
    monkeypatch.setattr(cli_support, "office", lambda: office)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("LIAISON_LANG", "en")
    monkeypatch.delenv("LIAISON_TOKEN", raising=False)
    shown: dict[str, str] = {}
    for name in ("secretary", "clerk"):
        shell = Shell(monkeypatch, tmp_path / name)
        assert (await asyncio.to_thread(shell.login, name, PASSWORD)).exit_code == 0
        for command in ("timeline", "audit"):
            args = [p.party_card(1)] if command == "timeline" else ["--member", p.party_card(1)]
            result = await asyncio.to_thread(shell, command, *args)
            assert result.exit_code == 0, result.output
            shown[f"{name} {command}"] = result.output
    for seen in ("secretary timeline", "secretary audit"):
        assert "X2" not in shown[seen], shown[seen]
        assert "ở tổ mới" not in shown[seen], shown[seen]
    assert "X2" in shown["clerk timeline"]
    assert "ở tổ mới" in shown["clerk audit"]
