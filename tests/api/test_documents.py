"""Documents from the board and the API (issue 14): the download links on the pages where each
document belongs, the PDF's text, and the refusals of an unknown kind or record."""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID, uuid4

import httpx

from api.documents.pdf import code_of, text_of
from application.office import LiaisonOffice
from domain import commands as c
from domain.meeting import AttendanceEntry
from domain.organisation import Unit, UnitKind
from domain.roles import Actor, Role
from domain.state import Attendance
from tests.api.conftest import PASSWORD, Auth
from tests.integration import province as p

NAME = "Đỗ Thị Thuỷ"


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    response = await client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.text


def pdf_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return " ".join(text_of(response.content).split())


async def test_each_page_links_its_documents_and_they_print_the_record(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    enrolled = p.received_member(office, 1, name=NAME)
    meeting = office.execute(
        c.RecordMeeting(
            **p.by(p.SECRETARY, date(2026, 3, 1)), cell_id=p.CELL,
            attendance=(AttendanceEntry(liaison_id=enrolled.liaison_id,
                                        attendance=Attendance.PRESENT),),
        )
    ).meeting_id  # fmt: skip
    await sign_in(client, "commune")
    member_page = await client.get(f"/members/{enrolled.member_id}")
    letter_link = f"/documents/letter?member={enrolled.member_id}"
    assert letter_link in member_page.text
    text = pdf_text(await client.get(letter_link))
    assert NAME in text
    assert "GIẤY GIỚI THIỆU" in text
    assert "Số: 01-GGT/2026" in text
    assert "ngày 10 tháng 01 năm 2026" in text
    figures = await client.get(f"/figures?unit={p.COMMUNE}")
    link = re.search(r'href="(/documents/statistics[^"]+)"', figures.text)
    assert link, figures.text
    assert "BÁO CÁO" in pdf_text(await client.get(link.group(1).replace("&amp;", "&")))
    inspect = await client.get(f"/inspect?unit={p.COMMUNE}&on=2026-11-20")
    link = re.search(r'href="(/documents/evidence[^"]+)"', inspect.text)
    assert link, inspect.text
    assert "CHỨNG CỨ KIỂM TRA" in pdf_text(await client.get(link.group(1).replace("&amp;", "&")))

    secretary = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    async with secretary:
        await sign_in(secretary, "secretary")
        page = await secretary.get("/forms/meeting")
        assert f"/documents/attendance?meeting={meeting}" in page.text
        assert f"/documents/register?cell={p.CELL}" in page.text
        sheet = pdf_text(await secretary.get(f"/documents/attendance?meeting={meeting}"))
        assert "DANH SÁCH ĐIỂM DANH" in sheet
        assert NAME in sheet
        assert "01/03/2026" in sheet

    # The API's route, with a token; in English when asked.
    headers = {**await auth("secretary"), "Accept-Language": "en"}
    response = await client.get(f"/api/documents/register?cell={p.CELL}", headers=headers)
    text = pdf_text(response)
    assert "REGISTER" in text
    assert NAME in text
    code = code_of(response.content)
    assert code.kind == "register"
    assert code.params == {"cell": p.CELL}


async def test_an_unknown_kind_or_record_is_refused(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    headers = await auth("commune")
    before = office.recorder.max_notification_id() or 0
    unknown_kind = await client.get("/api/documents/passport", headers=headers)
    assert unknown_kind.status_code == 422, unknown_kind.text
    unknown_member = await client.get(f"/api/documents/letter?member={uuid4()}", headers=headers)
    assert unknown_member.status_code == 404, unknown_member.text
    unknown_meeting = await client.get(
        f"/api/documents/attendance?meeting={uuid4()}", headers=headers
    )
    assert unknown_meeting.status_code == 404, unknown_meeting.text
    unknown_unit = await client.get("/api/documents/statistics?unit=NOWHERE", headers=headers)
    assert unknown_unit.status_code in (403, 404, 422), unknown_unit.text
    written = list(office.recorder.select_notifications(start=before + 1, limit=100))
    assert [e.topic.rpartition(":")[2] for e in written] == ["PermissionRefused"] * 4


async def test_figures_are_not_printed_for_a_date_the_board_does_not_show(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    """Statistics and evidence as of a date before the records begin, in the future, or when the
    unit was not in force: refused and audited as the figures page refuses them, not printed as
    an official report of zeros (or of a day that has not come)."""
    ward = Unit(id="X3", name="Phường Mới", kind=UnitKind.COMMUNE_COMMITTEE,
                parent_id=p.PROVINCE, valid_from=date(2026, 6, 1))  # fmt: skip
    office.execute(c.EstablishUnit(**p.by(p.ADMIN, date(2026, 6, 1)), unit=ward))
    headers = await auth("supervisor")
    for kind in ("statistics", "evidence"):
        for unit, on, status, code in (
            (p.PROVINCE, "1999-12-31", 422, "malformed"),
            (p.PROVINCE, "0001-01-01", 422, "malformed"),
            (p.PROVINCE, "2026-11-23", 422, "future_date"),
            (p.PROVINCE, "2026-02-31", 422, "malformed"),
            ("X3", "2026-05-31", 404, "unknown_unit"),
        ):
            before = p.event_count(office)
            response = await client.get(
                f"/api/documents/{kind}", params={"unit": unit, "on": on}, headers=headers
            )
            assert (response.status_code, response.json()["code"]) == (status, code), (kind, on)
            assert p.event_count(office) == before + 1  # its audit row, nothing else
        since = await client.get(
            f"/api/documents/{kind}", params={"unit": "X3", "on": "2026-06-01"}, headers=headers
        )
        assert since.status_code == 200, since.text


SUPERVISOR = Actor(id="supervisor", role=Role.SUPERVISOR, unit_id=p.PROVINCE)


def moved_member(office: LiaisonOffice, name: str) -> tuple[p.Enrolled, UUID]:
    """A member received by X's cell C1, who moved to X2 on 1 April and was received by its cell
    C2 (the new liaison's id second)."""
    moved = p.received_member(office, 1, name=name)
    new = office.execute(
        c.Close(**p.by(SUPERVISOR, date(2026, 4, 1)), liaison_id=moved.liaison_id,
                reason="moved_residence", successor=c.Referral(residence_commune_id="X2"))
    ).successor_id  # fmt: skip
    assert new is not None
    office.execute(c.ReceiveAtCommune(**p.by(SUPERVISOR, date(2026, 4, 5)), liaison_id=new,
                                      cell_id="C2"))  # fmt: skip
    office.execute(c.ReceiveAtCell(**p.by(SUPERVISOR, date(2026, 4, 6)), liaison_id=new))
    return moved, new


async def test_a_former_cell_and_commune_do_not_print_the_members_new_residence(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    """The member moved from X (cell C1) to X2 (cell C2). The letter, contact book and that
    year's assessment print the new liaison, which X and C1 may not read (its own page answers
    "no such liaison"): they are refused as no such member, and C2 prints them."""
    moved, new = moved_member(office, NAME)
    office.execute(
        c.Assess(
            **p.by(SUPERVISOR, date(2026, 11, 20)),
            liaison_id=new,
            year=2026,
            grade="fulfilled_well",
            front_committee_representative="Lê Văn Hai",
        )
    )
    documents = [f"letter?member={moved.member_id}", f"contact?member={moved.member_id}",
                 f"assessment?member={moved.member_id}&year=2026"]  # fmt: skip
    for former in ("secretary", "commune"):
        headers = await auth(former)
        assert (await client.get(f"/api/liaisons/{new}", headers=headers)).status_code == 404
        for document in documents:
            before = p.event_count(office)
            response = await client.get(f"/api/documents/{document}", headers=headers)
            assert response.status_code == 404, (former, document, response.status_code)
            assert response.json()["code"] == "unknown_member"
            assert "X2" not in response.text
            assert "C2" not in response.text
            assert p.event_count(office) == before + 1  # its audit row
    headers = await auth("secretary2")
    for document in documents:
        text = pdf_text(await client.get(f"/api/documents/{document}", headers=headers))
        assert NAME in text


MARKUP = '#read("/etc/passwd") #import "common.typ": * ]#panic("x")[ *b* _i_ $x$ \\ <l> @r // c'
"""A name as Typst would read it as markup: the documents print it as the text it is."""


async def test_typst_markup_in_names_and_reasons_is_printed_as_text(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    cell = Unit(id="C5", name=MARKUP, kind=UnitKind.RESIDENCE_CELL, parent_id=p.COMMUNE,
                valid_from=date(2000, 1, 1))  # fmt: skip
    office.execute(c.EstablishUnit(**p.by(p.ADMIN, date(2026, 1, 1)), unit=cell))
    enrolled = p.received_member(office, 1, name=MARKUP)
    meeting = office.execute(
        c.RecordMeeting(
            **p.by(p.SECRETARY, date(2026, 3, 1)), cell_id=p.CELL,
            attendance=(AttendanceEntry(liaison_id=enrolled.liaison_id,
                                        attendance=Attendance.ABSENT_WITH_REASON,
                                        absence_reason=MARKUP),),
        )
    ).meeting_id  # fmt: skip
    headers = await auth("commune")
    flat = "".join(MARKUP.split())
    for document in (f"letter?member={enrolled.member_id}", f"register?cell={p.CELL}",
                     f"attendance?meeting={meeting}"):  # fmt: skip
        text = pdf_text(await client.get(f"/api/documents/{document}", headers=headers))
        assert flat in "".join(text.split()), document
        assert "root:" not in text  # nothing was read from the server's files
    empty = pdf_text(await client.get("/api/documents/register?cell=C5", headers=headers))
    assert flat.upper() in "".join(empty.split())  # the cell's name, as the header prints it


async def test_a_document_asked_without_its_unit_is_of_the_users_own(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    """Left out, the cell or unit is the user's own, the date today: never another's."""
    for who, kind, params in (
        ("secretary2", "register", {"cell": "C2"}),
        ("commune2", "statistics", {"unit": "X2", "on": p.TODAY.isoformat()}),
        ("inspector2", "evidence", {"unit": "X2", "on": p.TODAY.isoformat()}),
    ):
        response = await client.get(f"/api/documents/{kind}", headers=await auth(who))
        pdf_text(response)
        code = code_of(response.content)
        assert {k: code.params[k] for k in params} == params, who
    for who, kind in (("secretary2", "letter"), ("secretary2", "attendance")):
        response = await client.get(f"/api/documents/{kind}", headers=await auth(who))
        assert response.status_code == 404, (who, kind)
