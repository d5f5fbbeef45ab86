"""Every operation of the API answered for real at least once, in one year's story (issue 11).

The fuzzing in `test_schema.py` mostly meets refusals (an unknown id, a malformed body); this walks
each operation the schema lists with a request that must succeed, so that no operation is only
ever tested failing. A new operation fails `test_every_operation_is_walked` until it is added.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import httpx

from api.app import create_app
from api.config import BoardConfig
from application.office import LiaisonOffice
from tests.api.conftest import PASSWORD, Auth, body
from tests.integration import province as p

SPEC = create_app(
    cast(Any, None), cast(Any, None), cast(Any, None), BoardConfig(database_url="postgresql://x")
).openapi()
OPERATIONS = {(m.upper(), path) for path, ops in SPEC["paths"].items() for m in ops}


async def test_every_operation_is_walked(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    walked: set[tuple[str, str]] = set()
    supervisor, admin = await auth("supervisor"), await auth("admin")

    async def call(
        method: str, template: str, headers: dict[str, str], json: Any = None, **path: str
    ) -> Any:
        response = await client.request(method, template.format(**path), json=json, headers=headers)
        assert response.status_code in (200, 204), (method, template, response.text)
        walked.add((method, template))
        return response.json() if response.status_code == 200 else None

    async def command(verb: str, day: date = p.TODAY, **fields: Any) -> Any:
        return await call("POST", f"/api/commands/{verb}", supervisor, body(day, **fields))

    def registered(n: int) -> dict[str, Any]:
        return {
            "name": f"Đảng viên {n}", "birth_date": "1980-01-01",
            "party_card_number": p.party_card(n), "workplace_unit_id": p.WORKPLACE,
        }  # fmt: skip

    async def refer(n: int) -> tuple[str, str]:
        """Register member `n` and refer them to commune X: (member id, liaison id)."""
        member = (await command("register-member", **registered(n)))["member_id"]
        referral = {"residence_commune_id": p.COMMUNE}
        return member, (await command("refer", member_id=member, referral=referral))["liaison_id"]

    # Members: registered, moved, exempted and back, referred and received.
    moved = (await command("register-member", **registered(1)))["member_id"]
    await command("transfer-member", member_id=moved, workplace_unit_id="W2")
    exempt = (await command("register-member", **registered(2)))["member_id"]
    await command("exempt-from-introduction", member_id=exempt, reason="secret_mission")
    await command("lift-introduction-exemption", member_id=exempt)
    member, liaison = await refer(3)
    await command("receive-at-commune", liaison_id=liaison, cell_id=p.CELL)
    await command("receive-at-cell", liaison_id=liaison)
    # The year: a meeting, the assessment confirmed and reported, a request answered, a proposal.
    attendance = [{"liaison_id": liaison, "attendance": "present"}]
    await command("record-meeting", cell_id=p.CELL, attendance=attendance)
    grade = {"grade": "fulfilled_well", "front_committee_representative": "Lê Văn Hai"}
    await command("assess", liaison_id=liaison, year=p.YEAR, **grade)
    await command("confirm-assessment", liaison_id=liaison, year=p.YEAR)
    await command("report-back", liaison_id=liaison, year=p.YEAR)
    request = (await command("request-assessment", liaison_id=liaison, purpose="planning"))[
        "request_id"
    ]
    await command(
        "provide-assessment", liaison_id=liaison, request_id=request, grade="fulfilled_well"
    )
    await command("propose", liaison_id=liaison, kind="commendation", comment="Gương mẫu")
    await command("exempt-from-activities", liaison_id=liaison, reason="travelling")
    await command("lift-activities-exemption", liaison_id=liaison)
    # Another member's referral left unreceived: escalated, then resolved by the superior.
    _, late_liaison = await refer(4)
    p.escalate(office, late_liaison, p.TODAY)
    rows = await call("GET", "/api/units/{unit_id}/escalations", supervisor, unit_id=p.PROVINCE)
    await command("resolve-escalation", escalation_id=rows[0]["escalation_id"], comment="Đã nhắc")
    # A member received last year: this year's cycle opened (the workflow's job each January).
    last_year = date(p.YEAR - 1, 3, 1)
    older = (await command("register-member", last_year, **registered(5)))["member_id"]
    referral = {"residence_commune_id": p.COMMUNE}
    old = (await command("refer", last_year, member_id=older, referral=referral))["liaison_id"]
    await command("receive-at-commune", last_year, liaison_id=old, cell_id=p.CELL)
    await command("receive-at-cell", last_year, liaison_id=old)
    await command("open-cycle", liaison_id=old, year=p.YEAR)

    # Administration: a unit, a merger, a province's deadline.
    admin_day = date(p.YEAR, 1, 2)
    unit = {"id": "C7", "name": "Tổ dân phố 7", "kind": "residence_cell", "parent_id": p.COMMUNE,
            "valid_from": "2026-01-01"}  # fmt: skip
    await call("POST", "/api/commands/establish-unit", admin, body(admin_day, unit=unit))
    merged = {**unit, "id": "C8", "name": "Tổ dân phố 8", "valid_from": "2026-06-01"}
    await call(
        "POST", "/api/commands/succeed-units", admin,
        body(admin_day, predecessor_ids=["C7"], successor=merged),
    )  # fmt: skip
    await call(
        "POST", "/api/commands/override-policy", admin,
        body(province_id=p.PROVINCE, setting="receipt_days", value=20),
    )  # fmt: skip

    await call(
        "POST", "/api/commands/withdraw-policy-override", admin,
        body(province_id=p.PROVINCE, setting="receipt_days", override_from=p.TODAY.isoformat()),
    )  # fmt: skip
    await call("POST", "/api/commands/end-unit", admin, body(unit_id="C8"))
    # Accounts: opened, its password reset, moved to the commune, retired.
    account = {"username": "thuky.moi", "role": "cell_secretary", "unit_id": p.CELL}
    await call("POST", "/api/commands/open-account", admin, body(**account))
    await call("POST", "/api/commands/reset-password", admin, body(username="thuky.moi"))
    moved_to = {**account, "role": "commune_clerk", "unit_id": p.COMMUNE}
    await call("POST", "/api/commands/reassign-account", admin, body(**moved_to))
    await call("POST", "/api/commands/retire-account", admin, body(username="thuky.moi"))
    # The late member died: the closing slips go up.
    await command("close", liaison_id=late_liaison, reason="died")
    await command("send-closing-slip", liaison_id=late_liaison)
    # A document: the introduction letter, as a PDF.
    letter = await client.get("/api/documents/letter", params={"member": member}, headers=admin)
    assert letter.content.startswith(b"%PDF"), letter.text[:300]
    walked.add(("GET", "/api/documents/{kind}"))

    # Every read, on the records just made.
    await call("GET", "/api/me", supervisor)
    for template in (
        "/api/units/{unit_id}/figures", "/api/units/{unit_id}/liaisons",
        "/api/units/{unit_id}/meetings", "/api/units/{unit_id}/escalations",
        "/api/units/{unit_id}/notifications", "/api/units/{unit_id}/audit",
        "/api/units/{unit_id}/evidence",
    ):  # fmt: skip
        await call("GET", template, supervisor, unit_id=p.PROVINCE)
    await call(
        "GET", "/api/units/{unit_id}/lists/{metric}", supervisor, unit_id=p.CELL, metric="assessed"
    )
    for template in (
        "/api/members/{member_id}", "/api/members/{member_id}/timeline",
        "/api/members/{member_id}/audit",
    ):  # fmt: skip
        await call("GET", template, supervisor, member_id=member)
    await call("GET", "/api/liaisons/{liaison_id}", supervisor, liaison_id=liaison)
    await call("GET", "/api/members", supervisor)  # a search (its own tests: test_search.py)
    await call("GET", "/api/seal", supervisor)
    await command("close", liaison_id=liaison, reason="retired")
    # Sessions: a token signed for, the clerk's ended by the administrator, one revoked by its own.
    token = await call("POST", "/api/auth/token", {}, {"username": "clerk", "password": PASSWORD})
    await call("POST", "/api/users/{username}/revoke-sessions", admin, username="clerk")
    clerk = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await client.get("/api/me", headers=clerk)).status_code == 401
    await call("DELETE", "/api/auth/token", supervisor)
    assert (await client.get("/api/me", headers=supervisor)).status_code == 401

    assert walked == OPERATIONS, sorted(OPERATIONS - walked)
