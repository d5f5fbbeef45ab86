"""Someone holding a valid account beside or below the one they attack tries the administration
surfaces: accounts of another rank or district, units of another province, another province's
deadlines, forms without their CSRF token. Each attempt is refused and writes nothing but its
audit row (a forged form writes nothing at all); what the account table holds is unchanged."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from api.users import UserStore
from application.office import LiaisonOffice
from domain import commands as c
from domain.roles import Role
from tests.api.conftest import ADMIN_P2, NEIGHBOUR, PASSWORD, Auth, body
from tests.api.test_documents import moved_member
from tests.api.test_sessions import csrf_of, events
from tests.api.test_signin import web_sign_in
from tests.integration import province as p


async def test_a_moved_account_loses_its_session_and_token_at_once(
    client: httpx.AsyncClient, auth: Auth, users: UserStore
) -> None:
    """A clerk moved to another commune keeps nothing of the old one: the cookie and the token
    end, and a new sign-in acts for the new unit only."""
    token = await auth("commune")
    web = httpx.AsyncClient(transport=client._transport, base_url="http://board.test")
    async with web:
        await web_sign_in(web, "commune")
        moved = await client.post(
            "/api/commands/reassign-account",
            json=body(username="commune", role="commune_clerk", unit_id="X2"),
            headers=await auth("admin"),
        )
        assert moved.status_code == 200, moved.text
        assert (await client.get("/api/me", headers=token)).status_code == 401
        assert (await web.get("/")).headers.get("location") == "/login"
        assert (await web.get(f"/documents/register?cell={p.CELL}")).status_code in (303, 401)
        await web_sign_in(web, "commune")
        old = await web.get(f"/documents/register?cell={p.CELL}")
        assert old.status_code == 403, old.text
        assert (await web.get("/documents/register?cell=C2")).status_code == 200


async def test_another_provinces_deadline_change_is_not_withdrawn(
    client: httpx.AsyncClient, auth: Auth, world: LiaisonOffice
) -> None:
    world.execute(c.OverridePolicy(**p.by(ADMIN_P2, date(2026, 11, 1)), province_id=NEIGHBOUR,
                                   setting="receipt_days", value=15))  # fmt: skip
    book = world.regulation_book().for_province(NEIGHBOUR)
    for who in ("supervisor", "admin", "admin.x2", "supervisor.x2"):
        headers = await auth(who)
        before = events(world)
        response = await client.post(
            "/api/commands/withdraw-policy-override",
            json=body(province_id=NEIGHBOUR, setting="receipt_days", override_from="2026-11-01"),
            headers=headers,
        )
        assert response.status_code == 403, (who, response.text)
        assert events(world) == before + 1
    assert world.regulation_book().for_province(NEIGHBOUR) == book
    # A sub-administrator or supervisor of a commune changes no province's deadlines.
    for who in ("admin.x2", "supervisor.x2"):
        response = await client.post(
            "/api/commands/override-policy",
            json=body(province_id=p.PROVINCE, setting="receipt_days", value=5),
            headers=await auth(who),
        )
        assert response.status_code == 403, (who, response.text)
    assert world.regulation_book().for_province(p.PROVINCE) == ()


FORGED: list[tuple[str, dict[str, str]]] = [
    ("/forms/users", {"command": "reset-password", "username": "clerk"}),
    ("/forms/users", {"command": "open-account", "username": "spy", "role": "administrator",
                      "unit_id": p.PROVINCE}),
    ("/forms/units", {"command": "end-unit", "unit_id": "C2"}),
    ("/forms/policy", {"command": "override-policy", "province_id": p.PROVINCE,
                       "setting": "receipt_days", "value": "5"}),
]  # fmt: skip


@pytest.mark.parametrize("csrf", [None, "forged", ""])
@pytest.mark.parametrize(("path", "fields"), FORGED)
async def test_an_administration_form_without_its_csrf_token_writes_nothing(
    client: httpx.AsyncClient, world: LiaisonOffice, users: UserStore,
    path: str, fields: dict[str, str], csrf: str | None,
) -> None:  # fmt: skip
    await web_sign_in(client, "admin")
    tree, before = list(world.tree()), events(world)
    accounts = [u.model_dump() for u in await users.everyone()]
    data = {"command_id": str(uuid4()), **fields, **({"csrf": csrf} if csrf is not None else {})}
    response = await client.post(path, data=data)
    assert response.status_code == 403
    assert events(world) == before
    assert list(world.tree()) == tree
    assert [u.model_dump() for u in await users.everyone()] == accounts
    assert world.regulation_book().for_province(p.PROVINCE) == ()
    # The same form with the session's token goes through (the token was what was missing).
    page = await client.get(path)
    sent = await client.post(path, data={**data, "csrf": csrf_of(page.text)})
    assert sent.status_code in (200, 409), sent.text


async def test_the_account_of_a_cell_that_ended_is_still_its_administrators_to_retire(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, users: UserStore
) -> None:
    """A cell ended with no successor: its secretary's account could still sign in, and no
    administrator could retire, reset or move it ("no such user"). Its administrators on its last
    day still can; another district's still cannot."""
    token = await auth("secretary2")
    await users.add("deputy.c2", PASSWORD, Role.CELL_SECRETARY, "C2")
    office.execute(c.EndUnit(**p.by(p.ADMIN, date(2026, 11, 1)), unit_id="C2"))
    await users.add("admin.w", PASSWORD, Role.ADMINISTRATOR, p.WORKPLACE)
    beside = await client.post(
        "/api/commands/retire-account", json=body(username="secretary2"),
        headers=await auth("admin.w"),
    )  # fmt: skip
    assert beside.status_code == 404, beside.text
    moved = await client.post(
        "/api/commands/reassign-account",
        json=body(username="secretary2", role="cell_secretary", unit_id=p.CELL),
        headers=await auth("admin"),
    )
    assert moved.status_code == 200, moved.text
    assert (await client.get("/api/me", headers=token)).status_code == 401
    retired = await client.post(
        "/api/commands/retire-account", json=body(username="deputy.c2"),
        headers=await auth("admin"),
    )  # fmt: skip
    assert retired.status_code == 200, retired.text
    assert (await users.user("deputy.c2")).retired  # type: ignore[union-attr]


async def test_a_former_residence_reads_only_its_own_liaison_of_a_member_who_moved(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    """The member moved from X (cell C1) to X2 (cell C2): the new liaison's own page answers
    "no such liaison" to X and C1, and so do the member's timeline, page and trail, which showed
    them the new commune and cell, who acted there, and its open deadlines. The workplace reads
    both liaisons; the new cell its own."""
    moved, new = moved_member(office, "Trần Văn Dời")
    old = moved.liaison_id
    cases = {"secretary": {old}, "commune": {old}, "clerk": {old, new}, "secretary2": {new}}
    for who, readable in cases.items():
        headers = await auth(who)
        timeline = await client.get(f"/api/members/{moved.member_id}/timeline", headers=headers)
        assert timeline.status_code == 200, timeline.text
        assert {UUID(e["liaison_id"]) for e in timeline.json()} == readable, who
        trail = await client.get(f"/api/members/{moved.member_id}/audit", headers=headers)
        assert trail.status_code == 200, trail.text
        units = {u for row in trail.json()["rows"] for u in row["units"]}
        assert ("X2" in units) == (new in readable), (who, units)
        assert ("X" in units) == (old in readable), (who, units)
    for former in ("secretary", "commune"):
        web = httpx.AsyncClient(transport=client._transport, base_url="http://board.test")
        async with web:
            await web_sign_in(web, former)
            for page in (f"/members/{moved.member_id}", f"/audit?member={moved.member_id}"):
                shown = await web.get(page)
                assert shown.status_code == 200, shown.text
                # The form token is random: "C2" turned up in it once in 64 runs or so.
                html = re.sub(r'name="csrf" value="[^"]*"', "", shown.text)
                assert "X2" not in html, (former, page)
                assert "C2" not in html, (former, page)


HOSTILE_OVERRIDES: list[dict[str, Any]] = [
    {"value": [12, 31, 5]},  # a day of the year with a third part
    {"value": 10**30},
    {"value": 1.5},
    {"value": "<script>alert(1)</script>"},
    {"value": None},
    {"setting": "receipt_days\u202e"},
    {"setting": "__class__"},
    {"setting": "assessment_window", "value": [2, 30]},  # 30 February
    {"comment": "lý do\u202e"},
    {"comment": "x" * 2001},
    {"effective_date": "1999-12-31"},
    {"province_id": "P" * 101},
]


@pytest.mark.parametrize("fields", HOSTILE_OVERRIDES)
async def test_a_hostile_deadline_change_is_refused_and_writes_only_its_audit_row(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, fields: dict[str, Any]
) -> None:
    headers = await auth("supervisor")
    before = events(office)
    sent = {"province_id": p.PROVINCE, "setting": "receipt_days", "value": 15, **fields}
    response = await client.post(
        "/api/commands/override-policy", json={**body(), **sent}, headers=headers
    )
    assert response.status_code == 422, response.text
    assert events(office) == before + 1
    assert office.regulation_book().for_province(p.PROVINCE) == ()


async def test_a_refused_form_shows_what_was_typed_as_text(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    """The refusal repeats the value typed, and the form keeps it: both escaped, never markup."""
    csrf = await web_sign_in(client, "supervisor", page="/forms/policy")
    typed = '"><script>alert(1)</script>'
    answer = await client.post("/forms/policy", data={
        "csrf": csrf, "command": "override-policy", "command_id": str(uuid4()),
        "province_id": p.PROVINCE, "setting": "receipt_days", "value": typed,
    })  # fmt: skip
    assert answer.status_code == 409, answer.status_code
    assert "<script>alert(1)" not in answer.text
    assert "&lt;script&gt;alert(1)" in answer.text


async def test_an_administrator_whose_own_unit_ended_manages_no_account(
    client: httpx.AsyncClient, auth: Auth, world: LiaisonOffice, users: UserStore
) -> None:
    """The administrator of a cell that ended acts for nothing: not even for the accounts the
    cell had (which its superior's administrators still manage)."""
    await users.add("admin.c8", PASSWORD, Role.ADMINISTRATOR, "C8")
    await users.add("deputy.c8", PASSWORD, Role.CELL_SECRETARY, "C8")
    headers = await auth("admin.c8")
    for slug in ("reset-password", "retire-account"):
        before = events(world)
        refused = await client.post(
            f"/api/commands/{slug}", json=body(username="deputy.c8"), headers=headers
        )
        assert refused.status_code == 404, refused.text
        assert events(world) == before + 1
    assert not (await users.user("deputy.c8")).retired  # type: ignore[union-attr]
