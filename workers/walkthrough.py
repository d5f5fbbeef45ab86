"""A sample province and one member's full year, recorded idempotently to show Liaison working."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

from application.office import LiaisonOffice
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

UNITS = (
    Unit(
        id=PROVINCE,
        name="Tỉnh ủy Mẫu",
        kind=UnitKind.PROVINCIAL_COMMITTEE,
        valid_from=date(2000, 1, 1),
    ),
    Unit(
        id=WARD,
        name="Đảng ủy phường Mẫu 1",
        kind=UnitKind.COMMUNE_COMMITTEE,
        parent_id=PROVINCE,
        valid_from=date(2000, 1, 1),
    ),
    Unit(
        id=CELL,
        name="Chi bộ Tổ dân phố 1",
        kind=UnitKind.RESIDENCE_CELL,
        parent_id=WARD,
        valid_from=date(2000, 1, 1),
    ),
    Unit(
        id=WARD_2,
        name="Đảng ủy phường Mẫu 2",
        kind=UnitKind.COMMUNE_COMMITTEE,
        parent_id=PROVINCE,
        valid_from=date(2000, 1, 1),
    ),
    Unit(
        id=CELL_2,
        name="Chi bộ Tổ dân phố 3",
        kind=UnitKind.RESIDENCE_CELL,
        parent_id=WARD_2,
        valid_from=date(2000, 1, 1),
    ),
    Unit(
        id=WORKPLACE,
        name="Đảng ủy Sở Tài chính",
        kind=UnitKind.WORKPLACE_COMMITTEE,
        parent_id=PROVINCE,
        valid_from=date(2000, 1, 1),
    ),
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

    member_id = office.execute(
        cmd.RegisterMember(
            command_id=_id("register"),
            actor=CLERK,
            effective_date=on(1, 5),
            name="Nguyễn Văn An",
            birth_date=date(1980, 3, 14),
            party_card_number=SAMPLE_CARD,
            workplace_unit_id=WORKPLACE,
        )
    ).member_id
    liaison_id = office.execute(
        cmd.Refer(
            command_id=_id("refer"),
            actor=CLERK,
            effective_date=on(1, 10),
            member_id=member_id,
            referral=cmd.Referral(residence_commune_id=WARD),
            comment="Giấy giới thiệu số 12-GT/ĐU",
        )
    ).liaison_id
    office.execute(
        cmd.ReceiveAtCommune(
            command_id=_id("receive-commune"),
            actor=COMMUNE,
            effective_date=on(1, 20),
            liaison_id=liaison_id,
            cell_id=CELL,
        )
    )
    office.execute(
        cmd.ReceiveAtCell(
            command_id=_id("receive-cell"),
            actor=SECRETARY,
            effective_date=on(1, 25),
            liaison_id=liaison_id,
        )
    )
    for step, when, attendance in (
        ("meeting-1", on(3, 2), Attendance.PRESENT),
        ("meeting-2", on(9, 7), Attendance.PRESENT),
    ):
        office.execute(
            cmd.RecordMeeting(
                command_id=_id(step),
                actor=SECRETARY,
                effective_date=when,
                cell_id=CELL,
                attendance=(AttendanceEntry(liaison_id=liaison_id, attendance=attendance),),
            )
        )
    office.execute(
        cmd.Assess(
            command_id=_id("assess"),
            actor=SECRETARY,
            effective_date=on(11, 10),
            liaison_id=liaison_id,
            year=year,
            grade="fulfilled_well",
            front_committee_representative="Trần Thị Bình (Ban công tác Mặt trận)",
            comment="Gương mẫu, tích cực tham gia hoạt động ở khu dân cư",
        )
    )
    office.execute(
        cmd.ConfirmAssessment(
            command_id=_id("confirm"),
            actor=COMMUNE,
            effective_date=on(11, 14),
            liaison_id=liaison_id,
            year=year,
        )
    )
    office.execute(
        cmd.ReportBack(
            command_id=_id("report-back"),
            actor=COMMUNE,
            effective_date=on(11, 20),
            liaison_id=liaison_id,
            year=year,
        )
    )
    assert member_id is not None  # the registration's outcome names the member
    return member_id
