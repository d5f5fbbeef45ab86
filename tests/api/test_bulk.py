"""Rosters, bulk work and forms on the board and the API: a meeting accounts for every member, many
members are received, confirmed and reported back in one post (one command and one line each),
and a form says what was recorded for whom or keeps what was typed."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from application.office import LiaisonOffice
from domain import commands as c
from domain.organisation import UnitKind
from projections.runner import Projector
from tests.api.conftest import Auth, body
from tests.api.test_commands import accepted, attending, post, referred
from tests.api.test_signin import web_sign_in
from tests.integration import province as p

HEADERS = {"vi": {}, "en": {"Accept-Language": "en"}}
"""The API's answers in each language."""
LEAVES_OUT = {"vi": "Danh sách điểm danh còn thiếu", "en": "The attendance list leaves out"}
BORN_LATER = {
    "vi": "Ngày sinh 01/05/2030 là một ngày trong tương lai.",
    "en": "The date of birth 1 May 2030 lies in the future.",
}


@pytest.fixture(params=["vi", "en"])
def language(request: pytest.FixtureRequest) -> str:
    """Each test in Vietnamese and in English."""
    return str(request.param)


async def in_english(client: httpx.AsyncClient) -> None:
    """The board in English from now on (the language switch's cookie)."""
    client.cookies.set("lang", "en")


async def meeting_form(
    client: httpx.AsyncClient, csrf: str, rows: list[str], **fields: Any
) -> httpx.Response:
    return await client.post(
        "/forms/meeting",
        data={"csrf": csrf, "command_id": str(uuid4()), "command": "record-meeting",
              "effective_date": p.TODAY.isoformat(), "row": rows, **fields},
    )  # fmt: skip


async def cell_of_two(client: httpx.AsyncClient, auth: Auth, projector: Projector) -> list[str]:
    """Members 1 and 2 received at C1, the secretary signed in: their liaisons and the CSRF."""
    one, two = [(await attending(client, auth, n))[1] for n in (1, 2)]
    projector.catch_up()
    csrf = await web_sign_in(client, "secretary", page="/forms/meeting")
    return [one, two, csrf]


async def test_an_unmarked_meeting_form_is_refused_naming_everyone(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, projector: Projector
) -> None:
    """Pressing "Ghi nhận" with nothing marked recorded everybody as present; now it names them."""
    one, two, csrf = await cell_of_two(client, auth, projector)
    drawn = (await client.get("/forms/meeting")).text
    assert f'name="attendance.{one}"' in drawn
    assert " selected" not in drawn  # nobody is marked before the secretary marks them
    assert "checked" not in drawn  # nor "all present"
    before = p.event_count(office)
    answer = await meeting_form(client, csrf, [one, two])
    assert answer.status_code == 409, answer.text[-800:]
    assert "Danh sách điểm danh còn thiếu Đảng viên 1, Đảng viên 2" in answer.text
    await in_english(client)
    answer = await meeting_form(client, csrf, [one, two], **{f"attendance.{one}": "present"})
    assert answer.status_code == 409
    assert "The attendance list leaves out Đảng viên 2" in answer.text
    assert 'value="present" selected' in answer.text  # what was marked is kept
    assert p.event_count(office) == before + 2  # the two refusals' audit records only
    assert office.state_of(UUID(one)).meetings == ()


async def test_all_present_except_the_absent_from_the_board(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, projector: Projector
) -> None:
    one, two, csrf = await cell_of_two(client, auth, projector)
    answer = await meeting_form(
        client, csrf, [one, two], others_present="on",
        **{f"attendance.{two}": "absent_with_reason", f"absence_reason.{two}": "ốm"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text[-800:]
    assert "Đã ghi biên bản sinh hoạt. Có mặt: 1/2 đảng viên." in answer.text
    marks = {i: office.state_of(UUID(i)).meetings[0].attendance for i in (one, two)}
    assert [m.value for m in marks.values()] == ["present", "absent_with_reason"]
    # The same cell's second regular meeting that day is refused, named, in the page's words.
    again = await meeting_form(client, csrf, [one, two], others_present="on")
    assert again.status_code == 409
    assert "đã có buổi sinh hoạt định kỳ ngày 22/11/2026" in again.text


async def test_a_partial_roster_is_refused_through_the_api(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, language: str
) -> None:
    _, one = await attending(client, auth, 1)
    await attending(client, auth, 2)
    secretary, words = {**await auth("secretary"), **HEADERS[language]}, LEAVES_OUT[language]
    before = p.event_count(office)
    for attendance, missing in (
        ([{"liaison_id": one, "attendance": "present"}], "Đảng viên 2:"),
        ([], "Đảng viên 1, Đảng viên 2:"),
    ):
        answer = await post(
            client, secretary, "record-meeting", **body(cell_id=p.CELL, attendance=attendance)
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["message"].startswith(f"{words} {missing}")
    assert p.event_count(office) == before + 2  # the audit records of the two refusals


async def test_a_second_regular_meeting_that_day_is_refused_through_the_api(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, language: str
) -> None:
    _, one = await attending(client, auth, 1)
    secretary = {**await auth("secretary"), **HEADERS[language]}
    words = {"vi": "đã có buổi sinh hoạt định kỳ ngày 22/11/2026", "en": "already held"}[language]
    listed = [{"liaison_id": one, "attendance": "present"}]
    first = await post(
        client, secretary, "record-meeting", **body(cell_id=p.CELL, attendance=listed)
    )
    assert first.status_code == 200, first.text
    assert (first.json()["present"], first.json()["listed"]) == (1, 1)
    before = p.event_count(office)
    second = await post(
        client, secretary, "record-meeting", **body(cell_id=p.CELL, attendance=listed)
    )
    assert second.status_code == 409, second.text
    assert words in second.json()["message"]
    assert p.event_count(office) == before + 1
    ad_hoc = await post(
        client, secretary, "record-meeting", **body(cell_id=p.CELL, attendance=listed, ad_hoc=True)
    )
    assert ad_hoc.status_code == 200, ad_hoc.text


async def test_a_birth_date_in_the_future_is_refused_through_the_api(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, language: str
) -> None:
    words = BORN_LATER[language]
    clerk = {**await auth("clerk"), **HEADERS[language]}
    office.id_namespace()
    before = p.event_count(office)
    answer = await post(client, clerk, "register-member", **body(
        name="Sinh Năm Sau", birth_date="2030-05-01", party_card_number="93000777",
        workplace_unit_id=p.WORKPLACE,
    ))  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert answer.json()["message"] == words
    assert answer.json()["field"] == "birth_date"
    assert p.event_count(office) == before + 1


async def test_a_birth_date_in_the_future_is_refused_on_the_board_keeping_the_form(
    client: httpx.AsyncClient, office: LiaisonOffice, language: str
) -> None:
    words = BORN_LATER[language]
    csrf = await web_sign_in(client, "clerk", page="/forms/refer")
    if language == "en":
        await in_english(client)
    office.id_namespace()
    before = p.event_count(office)
    answer = await client.post("/forms/refer", data={
        "csrf": csrf, "command_id": str(uuid4()), "command": ["register-member", "refer"],
        "name": "Sinh Năm Sau", "birth_date": "2030-05-01", "party_card_number": "93000777",
        "residence_commune_id": p.COMMUNE,
    })  # fmt: skip
    assert answer.status_code == 409, answer.text[-800:]
    assert f"Sinh Năm Sau: {words}" in answer.text
    for typed in ("Sinh Năm Sau", "2030-05-01", "93000777"):
        assert f'value="{typed}"' in answer.text
    assert p.event_count(office) == before + 1


async def test_a_duplicate_card_keeps_the_form_and_a_success_names_the_member(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    await referred(client, auth, 1)
    csrf = await web_sign_in(client, "clerk", page="/forms/refer")
    form = {"csrf": csrf, "command": ["register-member", "refer"], "birth_date": "1985-06-01",
            "residence_commune_id": p.COMMUNE, "comment": "GT số 9"}  # fmt: skip
    before = p.event_count(office)
    taken = await client.post("/forms/refer", data={
        **form, "command_id": str(uuid4()), "name": "Người Khác",
        "party_card_number": p.party_card(1),
    })  # fmt: skip
    assert taken.status_code == 409, taken.text[-800:]
    for typed in ("Người Khác", p.party_card(1), "1985-06-01", "GT số 9"):
        assert f'value="{typed}"' in taken.text
    assert p.event_count(office) == before + 1
    fresh = await client.post("/forms/refer", data={
        **form, "command_id": str(uuid4()), "name": "Lê Thị Hoa", "party_card_number": "93000888",
    })  # fmt: skip
    assert fresh.status_code == 200, fresh.text[-800:]
    assert "Lê Thị Hoa: " in fresh.text
    assert "(2)" not in fresh.text


async def test_receive_many_at_once_one_line_each(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, projector: Projector
) -> None:
    liaisons = [(await referred(client, auth, n))[1] for n in (1, 2, 3)]
    # Member 3 is received through the API meanwhile: its row on the page is stale.
    taken = await post(client, await auth("commune"), "receive-at-commune",
                       **body(liaison_id=liaisons[2], cell_id=p.CELL))  # fmt: skip
    assert taken.status_code == 200
    csrf = await web_sign_in(client, "commune", page="/forms/receive")
    command_id = str(uuid4())
    form = {"csrf": csrf, "command_id": command_id, "command": "receive-at-commune",
            "row": liaisons, **{f"cell_id.{li}": p.CELL for li in liaisons}}  # fmt: skip
    # Picked: only member 1.
    picked = await client.post(
        "/forms/receive", data={**form, "scope": "picked", "pick": liaisons[0]}
    )
    assert picked.status_code == 200, picked.text[-800:]
    assert "Đảng viên 1: " in picked.text
    assert "Đảng viên 2" not in picked.text.split('role="status"')[1].split("</p>")[0]
    assert office.state_of(UUID(liaisons[1])).commune_received_on is None
    # All: member 1 again (the same command id: recorded once), member 2, and member 3 refused.
    before = p.event_count(office)
    every = await client.post("/forms/receive", data={**form, "scope": "all"})
    assert every.status_code == 200, every.text[-800:]
    status = every.text.split('role="status"')[1].split("</ul>")[0]
    alert = every.text.split('role="alert"')[1].split("</p>")[0]
    assert "Đảng viên 1: " in status
    assert "Đảng viên 2: " in status
    assert "Đảng viên 3: Đảng ủy xã/phường đã tiếp nhận" in alert
    # Member 2's receipt and its command receipt; member 3's refusal's audit record; nothing twice.
    assert p.event_count(office) == before + 3


async def test_confirm_and_report_back_many_at_once(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, projector: Projector
) -> None:
    secretary = await auth("secretary")
    liaisons = []
    for n in (1, 2):
        _, liaison_id = await attending(client, auth, n)
        liaisons.append(liaison_id)
        assessed = await post(client, secretary, "assess", **body(
            liaison_id=liaison_id, year=p.YEAR, grade="fulfilled_well",
            front_committee_representative="Trần Thị Bình",
        ))  # fmt: skip
        assert assessed.status_code == 200, assessed.text
    projector.catch_up()
    csrf = await web_sign_in(client, "commune", page="/forms/report")
    page = (await client.get("/forms/report")).text
    assert "Xác nhận tất cả (2)" in page
    for command in ("confirm-assessment", "report-back"):
        answer = await client.post("/forms/report", data={
            "csrf": csrf, "command_id": str(uuid4()), "command": command, "year": str(p.YEAR),
            "row": liaisons, "scope": "all",
        })  # fmt: skip
        assert answer.status_code == 200, answer.text[-800:]
        status = answer.text.split('role="status"')[1].split("</ul>")[0]
        assert "Đảng viên 1: " in status
        assert "Đảng viên 2: " in status
    for liaison_id in liaisons:
        [record] = office.state_of(UUID(liaison_id)).assessments
        assert record.reported_on == p.TODAY


async def test_a_neighbour_receiving_many_at_once_learns_and_writes_nothing(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, projector: Projector
) -> None:
    """The neighbouring commune's clerk posts the bulk form with another commune's referrals
    (ids copied from elsewhere): each row is refused as not found, audited, and nothing else is
    written."""
    liaisons = [(await referred(client, auth, n))[1] for n in (1, 2)]
    csrf = await web_sign_in(client, "commune2", page="/forms/receive")
    before = p.event_count(office)
    answer = await client.post("/forms/receive", data={
        "csrf": csrf, "command_id": str(uuid4()), "command": "receive-at-commune",
        "row": liaisons, "scope": "all", **{f"cell_id.{li}": p.CELL for li in liaisons},
    })  # fmt: skip
    assert answer.status_code < 500, answer.text[-800:]
    not_yours = "Không tìm thấy quan hệ sinh hoạt nơi cư trú này trong phạm vi của bạn."
    assert answer.text.count(not_yours) == len(liaisons)  # each row, as if there were none
    assert "Đảng viên 1" not in answer.text  # no name of another commune's member
    assert "Đảng viên 2" not in answer.text
    for liaison_id in liaisons:
        assert office.state_of(UUID(liaison_id)).commune_received_on is None
    assert p.event_count(office) - before == len(liaisons)  # one audit row a refused row


async def test_a_referral_to_a_merged_ward_is_received_into_the_cells_it_took_over(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    merged_on = date(2026, 1, 2)
    ward = p.unit("XP", UnitKind.COMMUNE_COMMITTEE, p.PROVINCE, merged_on)
    office.execute(
        c.SucceedUnits(**p.by(p.ADMIN, merged_on), predecessor_ids=(p.COMMUNE,), successor=ward)
    )
    clerk = await auth("clerk")
    member = body(p.REGISTERED_ON, name="Đảng viên phường mới", birth_date="1980-01-01",
                  party_card_number=p.party_card(7), workplace_unit_id=p.WORKPLACE)  # fmt: skip
    member_id = (await accepted(client, clerk, "register-member", **member))["member_id"]
    referral = body(p.REFERRED_ON, member_id=member_id, referral={"residence_commune_id": "XP"})
    liaison_id = (await accepted(client, clerk, "refer", **referral))["liaison_id"]
    await web_sign_in(client, "commune")  # the old commune's clerk acts for the ward
    page = await client.get("/forms/receive")
    assert page.status_code == 200
    select = page.text.split(f'name="cell_id.{liaison_id}"')[1].split("</select>")[0]
    assert f'<option value="{p.CELL}"' in select  # C1 was X's, and is the ward's now
