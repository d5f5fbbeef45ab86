"""The member page's forms: a proposal of commendation or discipline reaches the workplace and
is counted on the board; an on-demand assessment is asked for and answered; proposals, requests,
answers, exemptions and closings are refused from the wrong unit, in the wrong state or without
their grounds, each with nothing written but its audit record."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from application.office import LiaisonOffice
from domain.state import Stage
from tests.api.conftest import Auth
from tests.api.test_commands import attending, referred
from tests.api.test_signin import web_sign_in
from tests.integration import province as p

GROUNDS = "Nhiều lần không tham gia sinh hoạt, không báo lý do"


async def send(
    client: httpx.AsyncClient,
    username: str,
    member_id: str,
    liaison_id: str,
    office: LiaisonOffice | None = None,
    **fields: Any,
) -> tuple[httpx.Response, int]:
    """Post one form of the member page as the user; the answer, and how many events the post
    wrote (counted after the sign-in's own record)."""
    csrf = await web_sign_in(client, username)
    before = p.event_count(office) if office else 0
    data = {"csrf": csrf, "member_id": member_id, "liaison_id": liaison_id, **fields}
    answer = await client.post(f"/forms/member?member={member_id}", data=data)
    return answer, (p.event_count(office) - before if office else 0)


async def test_a_proposal_reaches_the_workplace_and_is_counted(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    member_id, liaison_id = await attending(client, auth)
    sent, _ = await send(
        client, "secretary", member_id, liaison_id,
        command="propose", kind="discipline", comment=GROUNDS, effective_date="2026-10-01",
    )  # fmt: skip
    assert sent.status_code == 200, sent.text[-800:]
    assert 'role="alert"' not in sent.text

    # The workplace committee that referred the member is told, in its notices.
    await web_sign_in(client, "clerk")
    notices = await client.get("/notifications")
    assert "đề nghị xử lý kỷ luật đảng viên Đảng viên 1 (ngày 01/10/2026)" in notices.text

    # Counted on the board, with the list behind the figure.
    inspector = await auth("inspector")
    figures = await client.get(f"/api/units/{p.PROVINCE}/figures", headers=inspector)
    assert figures.json()["current"]["counts"]["proposals"] == 1
    listed = await client.get(f"/api/units/{p.PROVINCE}/lists/proposals", headers=inspector)
    assert [(r["member_id"], r["detail"]) for r in listed.json()] == [(member_id, "discipline")]
    workplace = await client.get(f"/api/units/{p.WORKPLACE}/figures", headers=await auth("clerk"))
    assert workplace.json()["current"]["counts"]["proposals"] == 1
    await web_sign_in(client, "clerk")
    board = await client.get("/figures")
    assert "Đề nghị khen thưởng, kỷ luật" in board.text
    listing = await client.get(f"/list/proposals?unit={p.WORKPLACE}&year=2026")
    assert "Đảng viên 1" in listing.text
    assert "Đề nghị kỷ luật" in listing.text


@pytest.mark.parametrize(
    ("username", "fields"),
    [
        ("secretary", {"command": "propose", "kind": "discipline"}),  # without grounds
        ("secretary2", {"command": "propose", "kind": "commendation", "comment": GROUNDS}),
        ("commune2", {"command": "propose", "kind": "commendation", "comment": GROUNDS}),
        ("clerk", {"command": "propose", "kind": "commendation", "comment": GROUNDS}),
        ("secretary", {"command": "propose", "kind": "promotion", "comment": GROUNDS}),
        ("clerk2", {"command": "exempt-from-activities", "reason": "travelling"}),
        ("clerk", {"command": "exempt-from-activities", "reason": "on_holiday"}),
        ("clerk", {"command": "lift-activities-exemption"}),  # not exempt
        ("clerk", {"command": "exempt-from-introduction", "reason": "secret_mission"}),
        ("clerk2", {"command": "close", "reason": "retired"}),
        ("clerk", {"command": "close", "reason": "promoted"}),
        ("clerk", {"command": "close", "reason": "retired", "effective_date": "2026-13-01"}),
    ],
)
async def test_refused_on_the_member_page(
    client: httpx.AsyncClient,
    auth: Auth,
    office: LiaisonOffice,
    username: str,
    fields: dict[str, str],
) -> None:
    member_id, liaison_id = await attending(client, auth)
    answer, written = await send(client, username, member_id, liaison_id, office, **fields)
    assert answer.status_code in (404, 409), answer.text[-800:]
    assert 'role="alert"' in answer.text
    assert written == 1  # its audit record, nothing else
    assert office.stage(UUID(liaison_id)) is Stage.ATTENDING


async def test_an_assessment_asked_for_and_answered_on_the_member_page(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    member_id, liaison_id = await attending(client, auth)
    asked, _ = await send(
        client, "clerk", member_id, liaison_id, command="request-assessment", purpose="planning"
    )
    assert asked.status_code == 200, asked.text[-800:]
    assert 'role="alert"' not in asked.text
    [request] = office.state_of(UUID(liaison_id)).requests

    await web_sign_in(client, "secretary")
    page = await client.get(f"/forms/member?member={member_id}")
    assert "Trả lời yêu cầu: Quy hoạch" in page.text
    # Another cell's secretary may not answer it; an unknown request is not found.
    other, written = await send(
        client, "secretary2", member_id, liaison_id, office,
        command="provide-assessment", request_id=str(request.request_id), grade="fulfilled_well",
    )  # fmt: skip
    assert (other.status_code, written) == (404, 1)
    unknown, written = await send(
        client, "secretary", member_id, liaison_id, office,
        command="provide-assessment", request_id=str(uuid4()), grade="fulfilled_well",
    )  # fmt: skip
    assert (unknown.status_code, written) == (409, 1)
    answered, _ = await send(
        client, "secretary", member_id, liaison_id,
        command="provide-assessment", request_id=str(request.request_id), grade="fulfilled_well",
    )  # fmt: skip
    assert 'role="alert"' not in answered.text, answered.text[-800:]
    [request] = office.state_of(UUID(liaison_id)).requests
    assert request.grade == "fulfilled_well"
    # Answered once: again under a new id is refused, and the form is gone.
    again, written = await send(
        client, "secretary", member_id, liaison_id, office, command="provide-assessment",
        request_id=str(request.request_id), grade="not_fulfilled_well",
    )  # fmt: skip
    assert (again.status_code, written) == (409, 1)
    assert "Trả lời yêu cầu" not in again.text


@pytest.mark.parametrize(
    ("username", "fields", "statuses"),
    [
        (
            "secretary",
            {"command": "propose", "kind": "commendation", "comment": GROUNDS},
            {404, 409},
        ),
        ("clerk", {"command": "request-assessment", "purpose": "planning"}, {409}),
    ],
    ids=["a-proposal", "an-assessment-request"],
)
async def test_refused_before_the_cell_received_the_member(
    client: httpx.AsyncClient,
    auth: Auth,
    office: LiaisonOffice,
    username: str,
    fields: dict[str, str],
    statuses: set[int],
) -> None:
    """A proposal is not made, nor an assessment asked for, before the cell received them."""
    member_id, liaison_id = await referred(client, auth)
    answer, written = await send(client, username, member_id, liaison_id, office, **fields)
    assert answer.status_code in statuses, answer.text[-800:]
    assert written == 1
    assert office.state_of(UUID(liaison_id)).requests == ()
