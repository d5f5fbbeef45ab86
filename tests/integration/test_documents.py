"""Documents as PDF from the record (issue 14): each kind's text read back from the file, its
verification code checked by `liaison verify --document`, a tampered record failing it, and a
neighbouring district's user refused — on a real PostgreSQL, through the CLI."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pypdf
import pytest
from typer.testing import CliRunner

from api.documents.pdf import code_of, text_of
from application.office import LiaisonOffice
from domain import commands as c
from domain.meeting import AttendanceEntry
from domain.organisation import Unit, UnitKind
from domain.roles import Role
from domain.state import Attendance
from projections import reads
from projections.catalog import all_models
from projections.documents import letter_number
from projections.log import EVENTS_TABLE
from projections.runner import Projector
from tests.integration import province as pv
from tests.integration.test_seal_tampering import audit_rows, point_cli_at, sign_in, sql
from workers import cli_support
from workers.cli import app

NAMES = {1: "Nguyễn Thị Hường", 2: "Phạm Ngọc Ẩn", 3: "Trần Văn Đức"}
MEETING_DAY = date(2026, 3, 1)
ASSESSED_ON = date(2026, 11, 10)


def catch_up(pg_env: dict[str, str]) -> None:
    """Every read model and the seal, up to the store's head (as the projector process does)."""
    projector = Projector(pg_env, all_models())
    try:
        projector.catch_up()
    finally:
        projector.close()


@pytest.fixture
def store(
    pg_url: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """The tiny province with a second workplace beside it; three members received at C1, a
    meeting, member 1 assessed and confirmed; every read model and the seal caught up; the CLI
    in Vietnamese, signed in as the commune's clerk."""
    point_cli_at(pg_url, monkeypatch, tmp_path, "vi")
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    pv.build_province(office)
    office.execute(
        c.EstablishUnit(
            **pv.by(pv.ADMIN, date(2026, 1, 1)),
            unit=Unit(id="W2", name="Đảng ủy Bệnh viện Tỉnh", kind=UnitKind.WORKPLACE_COMMITTEE,
                      parent_id=pv.PROVINCE, valid_from=date(2000, 1, 1)),
        )
    )  # fmt: skip
    enrolled = {n: pv.received_member(office, n, name=name) for n, name in NAMES.items()}
    meeting = office.execute(
        c.RecordMeeting(
            **pv.by(pv.SECRETARY, MEETING_DAY), cell_id=pv.CELL,
            attendance=(
                AttendanceEntry(liaison_id=enrolled[1].liaison_id, attendance=Attendance.PRESENT),
                AttendanceEntry(liaison_id=enrolled[2].liaison_id, attendance=Attendance.PRESENT),
                AttendanceEntry(liaison_id=enrolled[3].liaison_id,
                                attendance=Attendance.ABSENT_WITH_REASON,
                                absence_reason="Đi công tác Đà Nẵng"),
            ),
        )
    )  # fmt: skip
    first = enrolled[1].liaison_id
    office.execute(
        c.Assess(
            **pv.by(pv.SECRETARY, ASSESSED_ON, comment="Gương mẫu, tích cực tham gia"),
            liaison_id=first, year=pv.YEAR, grade="fulfilled_well",
            front_committee_representative="Lê Thị Mận",
        )
    )  # fmt: skip
    office.execute(
        c.ConfirmAssessment(**pv.by(pv.COMMUNE_CLERK, ASSESSED_ON), liaison_id=first, year=pv.YEAR)
    )
    catch_up(pg_env)
    sign_in(pg_url, "xa", Role.COMMUNE_CLERK, pv.COMMUNE)
    yield {"office": office, "enrolled": enrolled, "meeting": meeting}
    office.close()
    cli_support.settings.cache_clear()


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def printed(tmp_path: Path, kind: str, *options: str) -> tuple[Path, str]:
    """`liaison print KIND FILE OPTIONS…`: the file and its text."""
    file = tmp_path / f"{kind}.pdf"
    result = cli("print", kind, str(file), *options)
    assert result.exit_code == 0, (options, result.output)
    return file, text_of(file.read_bytes())


def verify(file: Path, pg_env: dict[str, str]) -> Any:
    """`liaison verify --document FILE`, once the seal has reached the store's head (no
    projector process runs here; each CLI run leaves its own record)."""
    catch_up(pg_env)
    return cli("verify", "--wait", "0", "--document", str(file))


def test_every_document_prints_the_record_and_verifies(
    store: dict[str, Any], tmp_path: Path, pg_env: dict[str, str]
) -> None:
    card = pv.party_card(1)
    meeting_id = str(store["meeting"].meeting_id)
    expected: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
        "letter": (
            ("--card", card),
            (
                "GIẤY GIỚI THIỆU",
                "ĐẢNG CỘNG SẢN VIỆT NAM",
                "Số: 01-GGT/2026",
                NAMES[1],
                "ngày 10 tháng 01 năm 2026",
                "01/01/1980",
                card,
                "X",
            ),
        ),
        "assessment": (
            ("--card", card, "--year", "2026"),
            (
                "PHIẾU NHẬN XÉT",
                NAMES[1],
                "Gương mẫu, tích cực tham gia",
                "Lê Thị Mận",
                "Thực hiện tốt",
                "10/11/2026",
                "Giữ mối liên hệ với chi ủy",
                "Đã xác nhận ngày 10/11/2026",
            ),
        ),
        "register": (
            ("--unit", pv.CELL),
            ("SỔ THEO DÕI", *NAMES.values(), "25/01/2026", "3 đảng viên"),
        ),
        "contact": (
            ("--card", card),
            ("SỔ LIÊN HỆ", NAMES[1], "01/03/2026", "10/11/2026", "Có mặt"),
        ),
        "attendance": (
            ("--meeting", meeting_id),
            (
                "BIÊN BẢN SINH HOẠT CHI BỘ",
                "DANH SÁCH ĐIỂM DANH",
                *NAMES.values(),
                "Đi công tác Đà Nẵng",
                "ngày 01 tháng 03 năm 2026",
                "2/3 đảng viên",
            ),
        ),
        "statistics": (
            ("--unit", pv.COMMUNE, "--on", "2026-11-22"),
            ("BÁO CÁO", "C1", "ngày 22 tháng 11 năm 2026"),
        ),
        "evidence": (
            ("--unit", pv.COMMUNE, "--on", "2026-11-22"),
            ("CHỨNG CỨ KIỂM TRA", "22/11/2026"),
        ),
    }
    for kind, (options, words) in expected.items():
        file, text = printed(tmp_path, kind, *options)
        flat = " ".join(text.split())
        for word in words:
            assert word in flat, (kind, word, flat[-3000:])
        assert "ĐẢNG CỘNG SẢN VIỆT NAM" in flat
        assert "liaison verify --document" in flat
        result = verify(file, pg_env)
        assert result.exit_code == 0, (kind, result.output)
    statistics = " ".join(text_of((tmp_path / "statistics.pdf").read_bytes()).split())
    # Per unit: in scope, referred, received by a cell, awaiting, meetings, due, assessed, overdue,
    # reported back — the cell's row, then the commune's total (the referrals are the commune's).
    assert "C1 3 0 3 0 1 3 1 0 0 X 3 3 3 0 1 3 1 0 0" in statistics
    evidence = " ".join(text_of((tmp_path / "evidence.pdf").read_bytes()).split())
    assert "X 3 3 3 0 1 3 1 0 0" in evidence


def test_a_tampered_record_fails_the_documents_code(
    store: dict[str, Any], tmp_path: Path, pg_env: dict[str, str]
) -> None:
    file, _ = printed(tmp_path, "letter", "--card", pv.party_card(1))
    referral = sql(
        pg_env,
        f"SELECT notification_id, state FROM {EVENTS_TABLE} WHERE originator_id = %s"
        " AND originator_version = 1",
        (store["enrolled"][1].member_id,),
    )[0]
    state = json.loads(bytes(referral["state"]))
    assert state["name"] == NAMES[1]
    state["name"] = "Nguyễn Thị Hương"  # one tone mark changed by an insider
    sql(
        pg_env,
        f"UPDATE {EVENTS_TABLE} SET state = %s WHERE notification_id = %s",
        (json.dumps(state).encode(), referral["notification_id"]),
    )
    result = verify(file, pg_env)
    assert result.exit_code == 1, result.output
    assert f"tại vị trí {referral['notification_id']}" in result.output  # the seal names it
    assert "Hồ sơ không còn đúng như văn bản in" in result.output  # the facts differ


def test_a_forged_code_fails_the_facts(
    store: dict[str, Any], tmp_path: Path, pg_env: dict[str, str]
) -> None:
    """Member 1's letter given member 2's code parameters: the seal's link is real, the facts
    read for member 2 are not those printed."""
    file, _ = printed(tmp_path, "letter", "--card", pv.party_card(1))
    code = code_of(file.read_bytes())
    forged = replace(code, params={"member": str(store["enrolled"][2].member_id)})
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(file))
    writer.add_metadata({"/Keywords": f"liaison-document, {forged.keyword()}"})
    with (tmp_path / "forged.pdf").open("wb") as out:
        writer.write(out)
    result = verify(tmp_path / "forged.pdf", pg_env)
    assert result.exit_code == 1, result.output
    assert "Hồ sơ không còn đúng như văn bản in" in result.output
    assert "niêm phong bị phá vỡ" not in result.output


def test_a_file_liaison_did_not_print_is_refused(
    store: dict[str, Any], tmp_path: Path, pg_env: dict[str, str]
) -> None:
    stranger = tmp_path / "stranger.pdf"
    stranger.write_bytes(b"%PDF-1.4 not really")
    result = verify(stranger, pg_env)
    assert result.exit_code == 2, result.output
    assert "Không phải văn bản do Liaison in" in result.output


def test_letters_of_a_workplace_are_numbered_in_log_order_without_duplicates(
    store: dict[str, Any], tmp_path: Path, pg_env: dict[str, str], pg_url: str
) -> None:
    office: LiaisonOffice = store["office"]
    members = [pv.register(office, n, name=f"Đảng viên số {n}") for n in range(10, 16)]

    failed: list[BaseException] = []

    offices = [LiaisonOffice(env=pg_env, clock=pv.clock) for _ in members]  # one per process

    def refer(own: LiaisonOffice, member_id: Any) -> None:
        try:
            own.execute(pv.refer_command(member_id))
        except BaseException as error:
            failed.append(error)
        finally:
            own.close()

    threads = [
        threading.Thread(target=refer, args=pair) for pair in zip(offices, members, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    catch_up(pg_env)
    liaisons = [office.member(m).liaison_ids[0] for m in members]
    liaisons = [store["enrolled"][n].liaison_id for n in (1, 2, 3)] + liaisons

    async def numbers_of() -> list[int]:
        conn = await reads.connect(pg_url)
        try:
            return [await letter_number(conn, li, pv.WORKPLACE, 2026) for li in liaisons]
        finally:
            await conn.close()

    numbers = asyncio.run(numbers_of())
    assert numbers[:3] == [1, 2, 3]
    # The six saved at once took the next six numbers in the order they were committed.
    assert sorted(numbers) == list(range(1, 10))
    last = members[numbers.index(9) - 3]
    _, text = printed(tmp_path, "letter", "--card", office.member(last).party_card_number)
    assert "Số: 09-GGT/2026" in " ".join(text.split())


def test_a_neighbouring_districts_user_is_refused_each_document_and_audited(
    store: dict[str, Any], tmp_path: Path, pg_url: str, pg_env: dict[str, str]
) -> None:
    sign_in(pg_url, "w2", Role.WORKPLACE_CLERK, "W2")
    before = len(audit_rows(pg_env, "PermissionRefused"))
    attempts = [
        ("letter", "--card", pv.party_card(1)),
        ("contact", "--card", pv.party_card(2)),
        ("assessment", "--card", pv.party_card(1), "--year", "2026"),
        ("register", "--unit", pv.CELL),
        ("attendance", "--meeting", str(store["meeting"].meeting_id)),
        ("statistics", "--unit", pv.COMMUNE),
        ("evidence", "--unit", pv.COMMUNE),
    ]
    for kind, *options in attempts:
        file = tmp_path / f"{kind}.pdf"
        result = cli("print", kind, str(file), *options)
        assert result.exit_code != 0, (kind, result.output)
        assert not file.exists()
    refusals = audit_rows(pg_env, "PermissionRefused")[before:]
    assert len(refusals) == len(attempts)
