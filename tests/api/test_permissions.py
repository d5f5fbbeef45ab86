"""A board sees and changes only its own subtree; an inspector reads and never writes."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest

from application.office import LiaisonOffice
from tests.api.conftest import Auth, body
from tests.api.test_commands import assess_attending, attending, post
from tests.api.test_inbox import escalated
from tests.integration import province as p

# What each role would do on a liaison if it were theirs.
ATTEMPTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "clerk2": [
        ("exempt-from-activities", {"reason": "travelling"}),
        ("request-assessment", {"purpose": "planning"}),
        ("close", {"reason": "retired"}),
    ],
    "commune2": [
        ("receive-at-commune", {"cell_id": "C2"}),
        ("confirm-assessment", {"year": p.YEAR}),
        ("report-back", {"year": p.YEAR}),
    ],
    "secretary2": [
        ("receive-at-cell", {}),
        (
            "assess",
            {"year": p.YEAR, "grade": "fulfilled_well", "front_committee_representative": "B"},
        ),
        ("propose", {"kind": "discipline", "comment": "x"}),
    ],
    "committee2": [("report-back", {"year": p.YEAR}), ("close", {"reason": "retired"})],
    "inspector2": [
        (
            "assess",
            {"year": p.YEAR, "grade": "fulfilled_well", "front_committee_representative": "B"},
        )
    ],
    "inspector": [
        (
            "assess",
            {"year": p.YEAR, "grade": "fulfilled_well", "front_committee_representative": "B"},
        ),
        ("exempt-from-activities", {"reason": "travelling"}),
        ("report-back", {"year": p.YEAR}),
    ],
    "admin": [("exempt-from-activities", {"reason": "travelling"})],
}


def refusals(office: LiaisonOffice) -> int:
    """How many permission refusals the access trail holds."""
    records = office.recorder.select_notifications(start=None, limit=100_000)
    return sum(1 for n in records if n.topic.endswith(":PermissionRefused"))


ROLE_REFUSED = {"inspector", "inspector2", "admin"}
"""Users whose role never does these things: 403, which tells nothing about the record."""


@pytest.mark.parametrize("username", sorted(ATTEMPTS))
async def test_commands_outside_the_subtree_are_refused_and_recorded(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, username: str
) -> None:
    _, liaison_id = await attending(client, auth)
    headers = await auth(username)
    before = p.event_count(office)
    for verb, fields in ATTEMPTS[username]:
        response = await post(client, headers, verb, **body(liaison_id=liaison_id, **fields))
        if username in ROLE_REFUSED:
            assert response.status_code == 403, (verb, response.text)
            assert response.json()["code"] == "out_of_scope"
            continue
        # Another subtree's liaison is answered exactly as one that does not exist.
        unknown = await post(client, headers, verb, **body(liaison_id=str(uuid4()), **fields))
        assert response.status_code == unknown.status_code == 404, (verb, response.text)
        assert response.json() == unknown.json()
    unknowns = 0 if username in ROLE_REFUSED else len(ATTEMPTS[username])
    assert p.event_count(office) == before + len(ATTEMPTS[username]) + unknowns
    assert refusals(office) == len(ATTEMPTS[username]) + unknowns


async def test_registering_at_another_workplace_is_refused(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await post(
        client,
        await auth("clerk2"),
        "register-member",
        **body(
            name="A",
            birth_date="1980-01-01",
            party_card_number="99990001",
            workplace_unit_id=p.WORKPLACE,
        ),
    )
    assert response.status_code == 403


async def test_meetings_of_another_cell_are_refused(client: httpx.AsyncClient, auth: Auth) -> None:
    _, liaison_id = await attending(client, auth)
    attendance = [{"liaison_id": liaison_id, "attendance": "present"}]
    for username, cell, status in (
        ("secretary2", p.CELL, 403),
        ("secretary2", "C2", 404),  # their own cell, but the member is not theirs to name
        ("inspector", p.CELL, 403),
    ):
        response = await post(
            client,
            await auth(username),
            "record-meeting",
            **body(cell_id=cell, attendance=attendance),
        )
        assert response.status_code == status, (username, cell, response.text)


READERS_OUTSIDE = ["clerk2", "commune2", "secretary2", "committee2", "inspector2"]
READERS_INSIDE = ["clerk", "commune", "secretary", "committee", "supervisor", "inspector", "admin"]


@pytest.mark.parametrize("username", READERS_OUTSIDE)
async def test_reads_outside_the_subtree_are_refused(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, username: str
) -> None:
    member_id, liaison_id = await attending(client, auth)
    headers = await auth(username)
    for path in (
        f"/api/members/{member_id}",
        f"/api/members/{member_id}/timeline",
        f"/api/liaisons/{liaison_id}",
        f"/api/units/{p.CELL}/figures",
        f"/api/units/{p.WORKPLACE}/lists/in_scope",
        f"/api/units/{p.PROVINCE}/liaisons",
        f"/api/units/{p.COMMUNE}/meetings",
        f"/api/units/{p.PROVINCE}/escalations",
        f"/api/units/{p.COMMUNE}/escalations",
        f"/api/units/{p.COMMUNE}/notifications",
        f"/api/units/{p.PROVINCE}/notifications",
        f"/api/units/{p.WORKPLACE}/audit",
        f"/api/units/{p.CELL}/audit?actor=secretary&limit=5",
        f"/api/members/{member_id}/audit",
        f"/api/units/{p.PROVINCE}/evidence",
    ):
        response = await client.get(path, headers=headers)
        if path.startswith("/api/units/"):
            assert response.status_code == 403, (path, response.text)
            assert response.json()["code"] == "out_of_scope"
        else:  # a record: as if it did not exist
            assert response.status_code == 404, (path, response.text)
            assert response.json()["code"] == "unknown_member"
    assert refusals(office) == 15


SEAL_VERIFIERS = {"supervisor", "inspector", "admin", "inspector2"}


@pytest.mark.parametrize("username", READERS_OUTSIDE)
async def test_seal_verification_from_outside_is_refused_unless_the_role_verifies(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, username: str
) -> None:
    await attending(client, auth)
    headers = await auth(username)
    head = await client.get("/api/seal", headers=headers)
    assert head.status_code == 200, head.text
    response = await client.get("/api/seal?verify=true", headers=headers)
    if username in SEAL_VERIFIERS:  # the seal spans the whole store; the role decides
        assert response.status_code == 200, response.text
        assert refusals(office) == 0
    else:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "out_of_scope"
        assert refusals(office) == 1


@pytest.mark.parametrize("username", READERS_OUTSIDE)
async def test_resolving_an_escalation_from_outside_is_refused_and_recorded(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, username: str
) -> None:
    _, escalation_id = await escalated(client, auth, office)
    headers = await auth(username)
    response = await post(
        client, headers, "resolve-escalation", **body(escalation_id=escalation_id, comment="xong")
    )
    if username == "committee2":  # may resolve escalations, but this one is not theirs to see
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "unknown_member"
    else:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "out_of_scope"
    assert refusals(office) == 1
    inbox = await client.get(f"/api/units/{p.PROVINCE}/escalations", headers=headers)
    assert inbox.status_code == 403
    assert refusals(office) == 2


@pytest.mark.parametrize("username", READERS_INSIDE)
async def test_reads_inside_the_subtree_are_answered(
    client: httpx.AsyncClient, auth: Auth, username: str
) -> None:
    member_id, liaison_id = await attending(client, auth)
    headers = await auth(username)
    for path in (f"/api/members/{member_id}/timeline", f"/api/liaisons/{liaison_id}"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)


async def test_the_supervisor_acts_anywhere_below(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await assess_attending(client, auth, "supervisor", "fulfilled_well")
    assert response.status_code == 200, response.text
