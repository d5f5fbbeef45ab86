"""Users of neighbouring units try everything on another branch's member (issue 11).

A branch of its own under the province — workplace, commune and cell with names nobody else has —
holds one member with an open request and an escalation. Every other role of the province, from
the sibling branch and from the first one, tries every command, read, page and form on that member
and those units. Each attempt is refused, writes nothing but its one audit record, and no answer or
audit row names the branch or its member beyond what the user sent.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import uuid4

import httpx
import pytest

from application.office import LiaisonOffice
from domain import commands as c
from domain.meeting import AttendanceEntry
from domain.organisation import Unit, UnitKind
from domain.roles import Actor, Role
from domain.state import Attendance
from tests.api.conftest import PASSWORD, USERS, Auth, body
from tests.integration import province as p

BRANCH = {
    "BIMAT-W": ("Sở Bí Mật", UnitKind.WORKPLACE_COMMITTEE, p.PROVINCE),
    "BIMAT-X": ("Phường Bí Mật", UnitKind.COMMUNE_COMMITTEE, p.PROVINCE),
    "BIMAT-C": ("Tổ dân phố Bí Mật", UnitKind.RESIDENCE_CELL, "BIMAT-X"),
}
NAME = "Nguyễn Thị Kín Đáo"
CARD = "88880001"
SECRETS = (*(name for name, _, _ in BRANCH.values()), "Kín Đáo", *BRANCH)
"""Nothing of these may reach a neighbour, but the unit codes the neighbour typed themselves."""
SUPERVISOR = Actor(id="supervisor", role=Role.SUPERVISOR, unit_id=p.PROVINCE)
NEIGHBOURS = [
    "clerk2", "commune2", "secretary2", "committee2", "inspector2",
    "clerk", "commune", "secretary", "committee",
]  # fmt: skip


class Branch:
    """The branch's member, liaison, open request and escalation."""

    def __init__(self, office: LiaisonOffice) -> None:
        for unit_id, (name, kind, parent) in BRANCH.items():
            unit = Unit(
                id=unit_id, name=name, kind=kind, parent_id=parent, valid_from=date(2000, 1, 1)
            )
            office.execute(c.EstablishUnit(**p.by(p.ADMIN, date(2026, 1, 1)), unit=unit))
        s = SUPERVISOR
        self.member_id = office.execute(
            c.RegisterMember(
                **p.by(s, p.REGISTERED_ON), name=NAME, birth_date=date(1980, 1, 1),
                party_card_number=CARD, workplace_unit_id="BIMAT-W",
            )
        ).member_id  # fmt: skip
        self.liaison_id = office.execute(
            c.Refer(
                **p.by(s, p.REFERRED_ON),
                member_id=self.member_id,
                referral=c.Referral(residence_commune_id="BIMAT-X"),
            )
        ).liaison_id
        office.execute(
            c.ReceiveAtCommune(
                **p.by(s, p.COMMUNE_RECEIVED_ON), liaison_id=self.liaison_id, cell_id="BIMAT-C"
            )
        )
        office.execute(c.ReceiveAtCell(**p.by(s, p.CELL_RECEIVED_ON), liaison_id=self.liaison_id))
        self.meeting_id = office.execute(
            c.RecordMeeting(
                **p.by(s, date(2026, 2, 1)), cell_id="BIMAT-C",
                attendance=(AttendanceEntry(liaison_id=self.liaison_id,
                                            attendance=Attendance.PRESENT),),
            )
        ).meeting_id  # fmt: skip
        self.request_id = office.execute(
            c.RequestAssessment(
                **p.by(s, date(2026, 3, 1)), liaison_id=self.liaison_id, purpose="planning"
            )
        ).request_id
        p.escalate(office, self.liaison_id, date(2026, 4, 1))
        self.escalation_id = next(
            e.originator_id
            for e in office.recorder.select_notifications(start=None, limit=100_000)
            if e.topic.endswith(":EscalationOpened")
        )


def commands(branch: Branch, own_unit: str) -> list[tuple[str, dict[str, Any]]]:
    """Every command endpoint, aimed at the branch's member, liaison and units."""
    m, li, y = str(branch.member_id), str(branch.liaison_id), p.YEAR
    grade = {"grade": "fulfilled_well", "front_committee_representative": "Lê Văn Hai"}
    return [
        ("register-member", {"name": "Ai Đó", "birth_date": "1980-01-01",
                             "party_card_number": "88880002", "workplace_unit_id": "BIMAT-W"}),
        ("transfer-member", {"member_id": m, "workplace_unit_id": own_unit}),
        ("exempt-from-introduction", {"member_id": m, "reason": "secret_mission"}),
        ("lift-introduction-exemption", {"member_id": m}),
        ("refer", {"member_id": m, "referral": {"residence_commune_id": own_unit,
                                                "workplace_unit_id": own_unit}}),
        ("refer", {"member_id": m, "referral": {"residence_commune_id": "X"}}),
        ("receive-at-commune", {"liaison_id": li, "cell_id": "BIMAT-C"}),
        ("receive-at-cell", {"liaison_id": li}),
        ("record-meeting", {"cell_id": "BIMAT-C",
                            "attendance": [{"liaison_id": li, "attendance": "present"}]}),
        ("record-meeting", {"cell_id": own_unit,
                            "attendance": [{"liaison_id": li, "attendance": "present"}]}),
        ("assess", {"liaison_id": li, "year": y, **grade}),
        ("confirm-assessment", {"liaison_id": li, "year": y}),
        ("report-back", {"liaison_id": li, "year": y}),
        ("open-cycle", {"liaison_id": li, "year": y}),
        ("request-assessment", {"liaison_id": li, "purpose": "planning"}),
        ("provide-assessment", {"liaison_id": li, "request_id": str(branch.request_id),
                                "grade": "fulfilled_well"}),
        ("exempt-from-activities", {"liaison_id": li, "reason": "travelling"}),
        ("lift-activities-exemption", {"liaison_id": li}),
        ("propose", {"liaison_id": li, "kind": "discipline", "comment": "x"}),
        ("close", {"liaison_id": li, "reason": "retired"}),
        ("send-closing-slip", {"liaison_id": li}),
        ("resolve-escalation", {"escalation_id": str(branch.escalation_id), "comment": "xong"}),
    ]  # fmt: skip


def reads(branch: Branch) -> list[str]:
    """Every read of the API and every board page, on the branch's member, liaison and units."""
    m, li = branch.member_id, branch.liaison_id
    api = [f"/api/members/{m}", f"/api/members/{m}/timeline", f"/api/members/{m}/audit",
           f"/api/liaisons/{li}", f"/api/liaisons/{li}?on=2026-02-01"]  # fmt: skip
    for unit in BRANCH:
        api += [
            f"/api/units/{unit}/figures", f"/api/units/{unit}/lists/in_scope",
            f"/api/units/{unit}/liaisons", f"/api/units/{unit}/meetings",
            f"/api/units/{unit}/escalations", f"/api/units/{unit}/notifications",
            f"/api/units/{unit}/audit", f"/api/units/{unit}/evidence",
        ]  # fmt: skip
    pages = [f"/members/{m}", f"/audit?member={m}", "/?unit=BIMAT-W", "/list/in_scope?unit=BIMAT-C",
             "/audit?unit=BIMAT-X", "/inspect?unit=BIMAT-X&on=2026-11-01",
             "/inspect/evidence?unit=BIMAT-C&on=2026-11-01", "/forms/receive?unit=BIMAT-X",
             "/forms/meeting?unit=BIMAT-C", "/forms/assess?unit=BIMAT-C&year=2026",
             "/forms/report?unit=BIMAT-X", "/forms/requests?unit=BIMAT-W",
             "/forms/escalations?unit=BIMAT-X"]  # fmt: skip
    documents = [
        f"letter?member={m}",
        f"contact?member={m}",
        f"assessment?member={m}&year=2026",
        "register?cell=BIMAT-C",
        "statistics?unit=BIMAT-X",
        "evidence?unit=BIMAT-W",
        f"attendance?meeting={branch.meeting_id}",
    ]
    api += [f"/api/documents/{d}" for d in documents]
    pages += [f"/documents/{d}" for d in documents]
    return api + pages


def forms(branch: Branch, own_unit: str) -> list[tuple[str, dict[str, Any]]]:
    """Every board form, posted with the branch's ids."""
    li, m = str(branch.liaison_id), str(branch.member_id)
    return [
        ("/forms/refer", {"command": ["register-member", "refer"], "party_card_number": CARD,
                          "residence_commune_id": own_unit}),
        ("/forms/receive", {"command": "receive-at-commune", "liaison_id": li,
                            "cell_id": "BIMAT-C"}),
        ("/forms/receive", {"command": "receive-at-cell", "liaison_id": li}),
        ("/forms/meeting", {"command": "record-meeting", "row": li, f"attendance.{li}": "present"}),
        ("/forms/meeting?unit=BIMAT-C", {"command": "record-meeting", "cell_id": "BIMAT-C",
                                         "row": li, f"attendance.{li}": "present"}),
        ("/forms/receive?unit=BIMAT-X", {"command": "receive-at-cell", "liaison_id": li}),
        ("/forms/assess", {"command": "assess", "row": li, f"grade.{li}": "fulfilled_well",
                           "year": str(p.YEAR)}),
        ("/forms/report", {"command": "confirm-assessment", "liaison_id": li,
                           "year": str(p.YEAR)}),
        ("/forms/report", {"command": "report-back", "liaison_id": li, "year": str(p.YEAR)}),
        ("/forms/requests", {"command": "request-assessment", "liaison_id": li,
                             "purpose": "planning"}),
        ("/forms/requests", {"command": "provide-assessment", "liaison_id": li,
                             "request_id": str(branch.request_id),
                             "grade": "fulfilled_well"}),
        *[
            (f"/forms/member?member={m}",
             {"command": slug, "member_id": m, "liaison_id": li, **extra})
            for slug, extra in (
                ("exempt-from-introduction", {"reason": "secret_mission"}),
                ("exempt-from-activities", {"reason": "travelling"}),
                ("propose", {"kind": "discipline", "comment": "x"}),
                ("close", {"reason": "retired"}),
                ("transfer-member", {"workplace_unit_id": own_unit}),
            )
        ],
        ("/forms/escalations", {"command": "resolve-escalation",
                                "escalation_id": str(branch.escalation_id), "comment": "xong"}),
    ]  # fmt: skip


def refusals(office: LiaisonOffice, after: int) -> list[Any]:
    """The events recorded after `after`."""
    return list(office.recorder.select_notifications(start=after + 1, limit=100_000))


PUBLIC = ("Phường Bí Mật", "BIMAT-X")
"""Communes are public: a workplace refers members to any of them (the refer form lists them)."""


def leaks(text: str, sent: str, public: tuple[str, ...] = ()) -> list[str]:
    """What of the branch an answer names that the request itself did not."""
    return [s for s in SECRETS if s in text and s not in sent and s not in public]


@pytest.mark.parametrize("username", NEIGHBOURS)
async def test_a_neighbour_is_refused_everything_and_learns_nothing(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, username: str
) -> None:
    branch = Branch(office)
    headers = await auth(username)
    own_unit = USERS[username][1]
    login = await client.post("/login", data={"username": username, "password": PASSWORD})
    assert login.status_code == 303
    home = await client.get("/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert csrf, home.text
    start = office.recorder.max_notification_id() or 0
    version = office.liaison(branch.liaison_id).version
    attempts = 0
    for verb, fields in commands(branch, own_unit):
        sent = str(fields)
        response = await client.post(f"/api/commands/{verb}", json=body(**fields), headers=headers)
        assert response.status_code in (403, 404), (verb, response.status_code, response.text)
        assert not leaks(response.text, sent), (verb, response.text)
        attempts += 1
    for path in reads(branch):
        is_api = path.startswith("/api/")
        response = await client.get(path, headers=headers if is_api else {})
        assert response.status_code in (403, 404), (path, response.status_code)
        assert not leaks(response.text, path), (path, leaks(response.text, path))
        attempts += 1
    for path, fields in forms(branch, own_unit):
        data = {"csrf": csrf.group(1), "command_id": str(uuid4()), **fields}
        response = await client.post(path, data=data)
        assert response.status_code >= 400, (path, response.status_code)
        public = PUBLIC if path == "/forms/refer" else ()
        found = leaks(response.text, path + str(fields), public)
        assert not found, (path, found)
        attempts += 1

    written = refusals(office, start)
    assert {e.topic.rpartition(":")[2] for e in written} == {"PermissionRefused"}
    assert len(written) == attempts  # every refusal audited, once
    # The user's own trail names nothing of the branch they did not send themselves.
    supervisor = await auth("supervisor")
    trail = await client.get(
        f"/api/units/{p.PROVINCE}/audit", params={"actor": username, "limit": 1000},
        headers=supervisor,
    )  # fmt: skip
    rows = [r for r in trail.json()["rows"] if r["event"] == "PermissionRefused"]
    assert len(rows) == attempts
    for row in rows:
        assert not [s for s in SECRETS[:4] if s in str(row)], row
        assert not [u for u in BRANCH if u in row["units"]], row  # filed under the user's unit
    # The branch's member is as it was.
    assert office.member(branch.member_id).workplace_unit_id == "BIMAT-W"
    assert office.liaison(branch.liaison_id).version == version
