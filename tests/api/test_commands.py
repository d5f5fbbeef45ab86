"""Every command endpoint records once per command id; refusals are named and write nothing."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from application.office import LiaisonOffice
from tests.api.conftest import Auth, body
from tests.integration import province as p


async def post(client: httpx.AsyncClient, headers: dict[str, str], verb: str, **fields: Any) -> Any:
    """POST a command and return the response."""
    return await client.post(f"/api/commands/{verb}", json=fields, headers=headers)


async def accepted(
    client: httpx.AsyncClient, headers: dict[str, str], verb: str, **fields: Any
) -> Any:
    """POST a command that must be accepted (the test fails otherwise); return the JSON answer."""
    response = await post(client, headers, verb, **fields)
    assert response.status_code == 200, (verb, response.text)
    return response.json()


async def referred(client: httpx.AsyncClient, auth: Auth, n: int = 1) -> tuple[str, str]:
    """Register and refer member `n` through the API; return (member id, liaison id)."""
    clerk = await auth("clerk")
    member = body(
        p.REGISTERED_ON,
        name=f"Đảng viên {n}",
        birth_date="1980-01-01",
        party_card_number=p.party_card(n),
        workplace_unit_id=p.WORKPLACE,
    )
    member_id = (await accepted(client, clerk, "register-member", **member))["member_id"]
    referral = {"residence_commune_id": p.COMMUNE}
    fields = body(p.REFERRED_ON, member_id=member_id, referral=referral)
    return member_id, (await accepted(client, clerk, "refer", **fields))["liaison_id"]


async def attending(client: httpx.AsyncClient, auth: Auth, n: int = 1) -> tuple[str, str]:
    """Member `n` referred and received at X and C1."""
    member_id, liaison_id = await referred(client, auth, n)
    commune, secretary = await auth("commune"), await auth("secretary")
    at_commune = body(p.COMMUNE_RECEIVED_ON, liaison_id=liaison_id, cell_id=p.CELL)
    await accepted(client, commune, "receive-at-commune", **at_commune)
    at_cell = body(p.CELL_RECEIVED_ON, liaison_id=liaison_id)
    await accepted(client, secretary, "receive-at-cell", **at_cell)
    return member_id, liaison_id


async def assess_attending(client: httpx.AsyncClient, auth: Auth, username: str, grade: str) -> Any:
    """Member 1 attending, then assessed for the year with `grade` by `username`: the response."""
    _, liaison_id = await attending(client, auth)
    fields = body(
        liaison_id=liaison_id, year=p.YEAR, grade=grade, front_committee_representative="B"
    )
    return await post(client, await auth(username), "assess", **fields)


async def test_the_whole_year_through_the_api(client: httpx.AsyncClient, auth: Auth) -> None:
    member_id, liaison_id = await attending(client, auth)
    secretary, commune, clerk = await auth("secretary"), await auth("commune"), await auth("clerk")
    steps: list[tuple[dict[str, str], str, dict[str, Any]]] = [
        (
            secretary,
            "record-meeting",
            body(cell_id=p.CELL, attendance=[{"liaison_id": liaison_id, "attendance": "present"}]),
        ),
        (
            secretary,
            "assess",
            body(
                liaison_id=liaison_id,
                year=p.YEAR,
                grade="fulfilled_well",
                front_committee_representative="Trần Thị Bình",
            ),
        ),
        (commune, "confirm-assessment", body(liaison_id=liaison_id, year=p.YEAR)),
        (commune, "report-back", body(liaison_id=liaison_id, year=p.YEAR)),
        (
            secretary,
            "propose",
            body(liaison_id=liaison_id, kind="commendation", comment="Gương mẫu"),
        ),
        (clerk, "exempt-from-activities", body(liaison_id=liaison_id, reason="travelling")),
        (clerk, "lift-activities-exemption", body(liaison_id=liaison_id)),
    ]
    for headers, verb, fields in steps:
        response = await post(client, headers, verb, **fields)
        assert response.status_code == 200, (verb, response.text)
        assert response.json()["command_id"] == fields["command_id"]
    asked = await post(
        client, clerk, "request-assessment", **body(liaison_id=liaison_id, purpose="planning")
    )
    request_id = asked.json()["request_id"]
    answer = body(liaison_id=liaison_id, request_id=request_id, grade="fulfilled_well")
    await accepted(client, secretary, "provide-assessment", **answer)
    moved = {"reason": "moved_residence", "successor": {"residence_commune_id": "X2"}}
    closed = await accepted(client, clerk, "close", **body(liaison_id=liaison_id, **moved))
    assert closed["successor_id"]
    timeline = await client.get(f"/api/members/{member_id}/timeline", headers=clerk)
    events = [e["event"] for e in timeline.json()]
    assert events[:4] == [
        "Referred",
        "ReceivedByCommune",
        "ReceivedByCell",
        "MeetingAttendanceRecorded",
    ]
    assert "ReportedBack" in events
    assert "Closed" in events


async def test_member_exemption_from_introduction(client: httpx.AsyncClient, auth: Auth) -> None:
    clerk = await auth("clerk")
    member = await post(
        client,
        clerk,
        "register-member",
        **body(
            name="Lê Văn Cường",
            birth_date="1985-05-05",
            party_card_number="77770001",
            workplace_unit_id=p.WORKPLACE,
        ),
    )
    member_id = member.json()["member_id"]
    exempt = await post(
        client,
        clerk,
        "exempt-from-introduction",
        **body(member_id=member_id, reason="secret_mission"),
    )
    lifted = await post(client, clerk, "lift-introduction-exemption", **body(member_id=member_id))
    assert (exempt.status_code, lifted.status_code) == (200, 200), (exempt.text, lifted.text)


async def test_open_cycle_by_the_supervisor(client: httpx.AsyncClient, auth: Auth) -> None:
    _, liaison_id = await attending(client, auth)
    response = await post(
        client, await auth("supervisor"), "open-cycle", **body(liaison_id=liaison_id, year=p.YEAR)
    )
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate"


async def test_a_retry_records_once(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    _, liaison_id = await attending(client, auth)
    secretary = await auth("secretary")
    meeting = body(cell_id=p.CELL, attendance=[{"liaison_id": liaison_id, "attendance": "present"}])
    first = await post(client, secretary, "record-meeting", **meeting)
    before = p.event_count(office)
    again = await post(client, secretary, "record-meeting", **meeting)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert p.event_count(office) == before


async def test_refusals_are_named_in_the_callers_language_and_write_nothing(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    _, liaison_id = await referred(client, auth)
    secretary, commune = await auth("secretary"), await auth("commune")
    before = p.event_count(office)
    fields = body(
        liaison_id=liaison_id,
        year=p.YEAR,
        grade="fulfilled_well",
        front_committee_representative="B",
    )
    vi = await client.post(
        "/api/commands/assess", json=fields, headers={**secretary, "Accept-Language": "vi"}
    )
    en = await client.post(
        "/api/commands/assess",
        json=fields,
        headers={**secretary, "Accept-Language": "en-GB,en;q=0.8"},
    )
    # C1 has not received the member yet: to its secretary the liaison is as good as unknown.
    assert vi.status_code == en.status_code == 404
    assert vi.json()["code"] == en.json()["code"] == "unknown_member"
    assert vi.json()["message"] != en.json()["message"]
    wrong_cell = await post(
        client, commune, "receive-at-commune", **body(liaison_id=liaison_id, cell_id="W")
    )
    assert wrong_cell.status_code == 422
    assert wrong_cell.json()["code"] == "malformed"
    # Units by name, code second (the tiny province names its units by their codes).
    assert wrong_cell.json()["message"] == (
        f"W (W) không phải chi bộ nơi cư trú thuộc {p.COMMUNE} ({p.COMMUNE})."
    )
    unknown = await post(client, secretary, "receive-at-cell", **body(liaison_id=str(uuid4())))
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_member"
    future = await post(
        client,
        commune,
        "receive-at-commune",
        **body(p.TODAY.replace(year=p.YEAR + 1), liaison_id=liaison_id, cell_id=p.CELL),
    )
    assert future.json()["code"] == "future_date"
    # One audit record per refused command id (the two assessments share theirs) and nothing else.
    assert p.event_count(office) == before + 4


async def test_malformed_input_names_the_field(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await post(
        client,
        await auth("secretary"),
        "assess",
        **body(liaison_id="not-a-uuid", year=p.YEAR, grade="x"),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "malformed"
    assert response.json()["field"] == "liaison_id"
    missing = await client.post("/api/commands/refer", json={}, headers=await auth("clerk"))
    assert missing.status_code == 422
    assert missing.json()["field"]


async def test_grade_off_the_scale(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await assess_attending(client, auth, "secretary", "good")
    assert response.status_code == 422
    assert response.json()["code"] == "grade_not_in_scale"


async def test_bad_input_is_explained_in_the_callers_words(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    """pydantic's own words ("Input should be 'in_scope', …") never reach a person."""
    clerk = await auth("clerk")
    fields = body(liaison_id=str(uuid4()), purpose="gossip")
    answers = {
        language: await client.post(
            "/api/commands/request-assessment",
            json=fields,
            headers={**clerk, "Accept-Language": language},
        )
        for language in ("vi", "en")
    }
    assert {a.status_code for a in answers.values()} == {422}
    assert {a.json()["field"] for a in answers.values()} == {"purpose"}
    assert answers["vi"].json()["message"] == "“Mục đích” không thuộc các giá trị được phép."
    assert answers["en"].json()["message"] == "Purpose is not one of the allowed values."
    listed = await client.get(
        f"/api/units/{p.WORKPLACE}/lists/nonsense", headers={**clerk, "Accept-Language": "vi"}
    )
    assert listed.status_code == 422
    assert listed.json()["message"] == "“Chỉ tiêu” không thuộc các giá trị được phép."
    assert "in_scope" not in listed.text
