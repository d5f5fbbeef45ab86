"""A sample province and one member's full year, recorded idempotently to show Liaison working."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid5

from application.office import LiaisonOffice
from application.outcome import Outcome
from domain import commands as cmd
from domain.meeting import AttendanceEntry
from domain.organisation import Unit, UnitKind
from domain.roles import Actor, Role
from domain.state import Attendance

SAMPLE = UUID("3a7d1e52-9c0b-4b8e-a6f4-2f1d0c9e8b77")
PROVINCE, WARD, CELL, WORKPLACE = "MAU", "MAU-P1", "MAU-P1-TDP1", "MAU-SO-TC"
WARD_2, CELL_2 = "MAU-P2", "MAU-P2-TDP3"
"""A second ward and cell, where a member of the import templates moves."""
SAMPLE_CARD = "93000001"

UNITS = tuple(
    Unit(id=unit_id, name=name, kind=kind, parent_id=parent, valid_from=date(2000, 1, 1))
    for unit_id, name, kind, parent in (
        (PROVINCE, "Tỉnh ủy Mẫu", UnitKind.PROVINCIAL_COMMITTEE, None),
        (WARD, "Đảng ủy phường Mẫu 1", UnitKind.COMMUNE_COMMITTEE, PROVINCE),
        (CELL, "Chi bộ Tổ dân phố 1", UnitKind.RESIDENCE_CELL, WARD),
        (WARD_2, "Đảng ủy phường Mẫu 2", UnitKind.COMMUNE_COMMITTEE, PROVINCE),
        (CELL_2, "Chi bộ Tổ dân phố 3", UnitKind.RESIDENCE_CELL, WARD_2),
        (WORKPLACE, "Đảng ủy Sở Tài chính", UnitKind.WORKPLACE_COMMITTEE, PROVINCE),
    )
)

ADMIN = Actor(id="admin", role=Role.ADMINISTRATOR, unit_id=PROVINCE)
CLERK = Actor(id="clerk.so-tc", role=Role.WORKPLACE_CLERK, unit_id=WORKPLACE)
COMMUNE = Actor(id="clerk.phuong-1", role=Role.COMMUNE_CLERK, unit_id=WARD)
SECRETARY = Actor(id="bithu.tdp1", role=Role.CELL_SECRETARY, unit_id=CELL)


def _id(step: str) -> UUID:
    return uuid5(SAMPLE, step)


def ensure_sample_province(office: LiaisonOffice, today: date) -> None:
    """Enter the sample units (a no-op once they exist)."""
    for unit in UNITS:
        if unit.id not in office.tree():
            office.execute(
                cmd.EstablishUnit(
                    command_id=_id(f"unit:{unit.id}"), actor=ADMIN, effective_date=today, unit=unit
                )
            )


def record_sample_year(office: LiaisonOffice, today: date) -> UUID:
    """Record last year's whole cycle for one sample member; return the member id."""
    ensure_sample_province(office, today)
    year = today.year - 1

    def on(month: int, day: int) -> date:
        return date(year, month, day)

    def do(step: str, actor: Actor, when: date, model: type[cmd.Command], **fields: Any) -> Outcome:
        return office.execute(
            model(command_id=_id(step), actor=actor, effective_date=when, **fields)
        )

    member_id = do(
        "register",
        CLERK,
        on(1, 5),
        cmd.RegisterMember,
        name="Nguyễn Văn An",
        birth_date=date(1980, 3, 14),
        party_card_number=SAMPLE_CARD,
        workplace_unit_id=WORKPLACE,
    ).member_id
    liaison_id = do(
        "refer",
        CLERK,
        on(1, 10),
        cmd.Refer,
        member_id=member_id,
        referral=cmd.Referral(residence_commune_id=WARD),
        comment="Giấy giới thiệu số 12-GT/ĐU",
    ).liaison_id
    do(
        "receive-commune",
        COMMUNE,
        on(1, 20),
        cmd.ReceiveAtCommune,
        liaison_id=liaison_id,
        cell_id=CELL,
    )
    do("receive-cell", SECRETARY, on(1, 25), cmd.ReceiveAtCell, liaison_id=liaison_id)
    for step, when, attendance in (
        ("meeting-1", on(3, 2), Attendance.PRESENT),
        ("meeting-2", on(9, 7), Attendance.PRESENT),
    ):
        entry = AttendanceEntry(liaison_id=liaison_id, attendance=attendance)
        do(step, SECRETARY, when, cmd.RecordMeeting, cell_id=CELL, attendance=(entry,))
    do(
        "assess",
        SECRETARY,
        on(11, 10),
        cmd.Assess,
        liaison_id=liaison_id,
        year=year,
        grade="fulfilled_well",
        front_committee_representative="Trần Thị Bình (Ban công tác Mặt trận)",
        comment="Gương mẫu, tích cực tham gia hoạt động ở khu dân cư",
    )
    do("confirm", COMMUNE, on(11, 14), cmd.ConfirmAssessment, liaison_id=liaison_id, year=year)
    do("report-back", COMMUNE, on(11, 20), cmd.ReportBack, liaison_id=liaison_id, year=year)
    assert member_id is not None  # the registration's outcome names the member
    return member_id
