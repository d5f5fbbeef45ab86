"""Accounts from the board: open, reset, move and retire, each a registry command with its audit
row; a retired account's sessions and tokens end at once and it cannot sign in again."""

from __future__ import annotations

import re
from uuid import uuid4

import httpx
import pytest

from api.users import UserStore
from application.office import LiaisonOffice
from domain.roles import Role
from tests.api.conftest import PASSWORD, Auth, body
from tests.api.test_rendering import Visible, problems
from tests.api.test_sessions import csrf_of, events
from tests.api.test_signin import signed_in_page, topics, web_sign_in
from tests.integration import province as p


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], slug: str, **fields: object
) -> httpx.Response:
    """Send a command through the API with a fresh command id."""
    return await client.post(f"/api/commands/{slug}", json=body(**fields), headers=headers)


async def test_a_retired_account_loses_its_session_and_token_at_once_and_cannot_sign_in(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, users: UserStore
) -> None:
    admin = await auth("admin")
    opened = await post(
        client, admin, "open-account", username="bithu.c1", role="cell_secretary", unit_id=p.CELL
    )
    assert opened.status_code == 200, opened.text
    one_time = opened.json()["password"]
    assert one_time
    assert (await users.user("bithu.c1")).must_change  # type: ignore[union-attr]
    # The one-time password is never kept in the store (nor in the receipt).
    assert all(one_time not in str(n.state) for n in office.recorder.select_notifications(
        start=None, limit=100_000))  # fmt: skip
    # The new user changes the password, signs in on the web and takes an API token.
    await users.change_password("bithu.c1", PASSWORD, None)
    web = httpx.AsyncClient(transport=client._transport, base_url="http://board.test")
    async with web:
        await web_sign_in(web, "bithu.c1")
        assert (await web.get("/")).status_code == 200
        token = await client.post(
            "/api/auth/token", json={"username": "bithu.c1", "password": PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert (await client.get("/api/me", headers=bearer)).status_code == 200

        retired = await post(client, admin, "retire-account", username="bithu.c1")
        assert retired.status_code == 200, retired.text

        assert (await client.get("/api/me", headers=bearer)).status_code == 401
        assert (await web.get("/")).headers.get("location") == "/login"
    refused = await client.post(
        "/api/auth/token", json={"username": "bithu.c1", "password": PASSWORD}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "account_retired"
    page = await client.post("/login", data={"username": "bithu.c1", "password": PASSWORD})
    assert page.status_code == 403
    assert "thu hồi" in page.text
    # A wrong password on a retired name says only "wrong": retirement is no oracle.
    wrong = await client.post("/login", data={"username": "bithu.c1", "password": "nope"})
    assert wrong.status_code == 401
    assert "thu hồi" not in wrong.text
    assert topics(office, "AccountAdministered") == 2


async def test_a_reset_gives_a_new_one_time_password_and_ends_the_sessions(
    client: httpx.AsyncClient, auth: Auth, users: UserStore
) -> None:
    token = await auth("clerk")
    reset = await post(client, await auth("supervisor"), "reset-password", username="clerk")
    assert reset.status_code == 200, reset.text
    one_time = reset.json()["password"]
    assert (await client.get("/api/me", headers=token)).status_code == 401
    assert await users.verify("clerk", one_time) is not None
    assert (await users.user("clerk")).must_change  # type: ignore[union-attr]


async def test_moving_an_account_changes_its_unit_and_role(
    client: httpx.AsyncClient, auth: Auth, users: UserStore
) -> None:
    moved = await post(
        client, await auth("admin"), "reassign-account",
        username="commune", role="committee_member", unit_id="X2",
    )  # fmt: skip
    assert moved.status_code == 200, moved.text
    found = await users.user("commune")
    assert found is not None
    assert (found.role.value, found.unit_id) == ("committee_member", "X2")


REFUSALS = [
    # (who, command, fields, status, code)
    ("clerk", "open-account", {"username": "x1", "role": "workplace_clerk", "unit_id": "W"},
     403, "out_of_scope"),  # a clerk manages no accounts
    ("inspector", "retire-account", {"username": "clerk"}, 403, "out_of_scope"),
    ("supervisor", "open-account", {"username": "boss", "role": "administrator", "unit_id": "P"},
     403, "out_of_scope"),  # no role above one's own
    ("supervisor", "retire-account", {"username": "admin"}, 404, "unknown_user"),  # above
    ("admin", "open-account", {"username": "x3", "role": "workplace_clerk", "unit_id": "NOPE"},
     404, "unknown_unit"),
    ("admin", "open-account", {"username": "clerk", "role": "workplace_clerk", "unit_id": "W"},
     409, "duplicate"),
    ("admin", "retire-account", {"username": "nobody"}, 404, "unknown_user"),
    ("admin", "retire-account", {"username": "admin"}, 403, "out_of_scope"),  # oneself
    ("admin", "open-account", {"username": "Robert'); DROP TABLE board_user;--",
                               "role": "workplace_clerk", "unit_id": "W"}, 422, None),
    ("admin", "open-account", {"username": "x4", "role": "workplace_clerk", "unit_id": "W",
                               "password": "chosen"}, 422, None),  # no password from outside
    ("admin", "open-account", {"username": "x5", "role": "emperor", "unit_id": "W"}, 422, None),
    # Above one's rank: the account is "no such user" to whoever may not manage it.
    ("supervisor", "reset-password", {"username": "admin"}, 404, "unknown_user"),
    ("supervisor", "reassign-account",
     {"username": "admin", "role": "workplace_clerk", "unit_id": p.WORKPLACE}, 404,
     "unknown_user"),
    # One's own role upwards, or another's above one's own.
    ("supervisor", "reassign-account",
     {"username": "supervisor", "role": "administrator", "unit_id": p.PROVINCE}, 403,
     "out_of_scope"),
    ("supervisor", "reassign-account",
     {"username": "inspector", "role": "administrator", "unit_id": p.PROVINCE}, 403,
     "out_of_scope"),
    ("admin.x2", "open-account",
     {"username": "boss.x2", "role": "administrator", "unit_id": p.PROVINCE}, 403,
     "out_of_scope"),  # a sub-administrator's own rank, above its own subtree
    # Another district: a sub-administrator or supervisor of commune X2 reaching the province's.
    ("admin.x2", "retire-account", {"username": "supervisor"}, 404, "unknown_user"),
    ("supervisor.x2", "reset-password", {"username": "commune"}, 404, "unknown_user"),
    ("supervisor.x2", "reassign-account",
     {"username": "secretary", "role": "cell_secretary", "unit_id": "C2"}, 404,
     "unknown_user"),  # taking another commune's secretary into its own
    # Another province: its supervisor reaching this one's accounts, or this one's reaching it.
    ("supervisor.p2", "reset-password", {"username": "clerk"}, 404, "unknown_user"),
    ("supervisor", "reassign-account",
     {"username": "clerk", "role": "workplace_clerk", "unit_id": "X9"}, 403, "out_of_scope"),
    ("supervisor", "open-account",
     {"username": "spy.p2", "role": "commune_clerk", "unit_id": "X9"}, 403, "out_of_scope"),
    # Roles that manage no accounts at all.
    ("committee", "reset-password", {"username": "commune"}, 403, "out_of_scope"),
    ("secretary", "reassign-account",
     {"username": "secretary2", "role": "cell_secretary", "unit_id": p.CELL}, 403,
     "out_of_scope"),
    ("inspector2", "open-account",
     {"username": "spy.x2", "role": "inspector", "unit_id": "X2"}, 403, "out_of_scope"),
    # A retired account: its name is never given again, and it is not reset, moved or retired.
    ("admin", "reset-password", {"username": "gone"}, 409, "wrong_state"),
    ("admin", "reassign-account",
     {"username": "gone", "role": "workplace_clerk", "unit_id": p.WORKPLACE}, 409,
     "wrong_state"),
    ("admin", "retire-account", {"username": "gone"}, 409, "wrong_state"),
    ("admin", "open-account",
     {"username": "gone", "role": "workplace_clerk", "unit_id": p.WORKPLACE}, 409, "duplicate"),
    # A unit that ended, or is not there.
    ("admin", "open-account",
     {"username": "bithu.c8", "role": "cell_secretary", "unit_id": "C8"}, 404, "unknown_unit"),
    ("admin", "reassign-account",
     {"username": "secretary", "role": "cell_secretary", "unit_id": "C8"}, 404, "unknown_unit"),
    # Hostile names.
    ("admin", "open-account",
     {"username": "x" * 65, "role": "workplace_clerk", "unit_id": p.WORKPLACE}, 422, "malformed"),
    ("admin", "open-account",
     {"username": "Admin2", "role": "workplace_clerk", "unit_id": p.WORKPLACE}, 422, "malformed"),
    ("admin", "open-account",
     {"username": "bíthư", "role": "workplace_clerk", "unit_id": p.WORKPLACE}, 422, "malformed"),
    ("admin", "open-account",
     {"username": "a\nb", "role": "workplace_clerk", "unit_id": p.WORKPLACE}, 422, "malformed"),
    ("admin", "open-account",
     {"username": "<script>", "role": "workplace_clerk", "unit_id": p.WORKPLACE}, 422,
     "malformed"),
]  # fmt: skip


@pytest.mark.parametrize(("who", "slug", "fields", "status", "code"), REFUSALS)
async def test_refused_account_changes_write_only_their_audit_row(
    client: httpx.AsyncClient, auth: Auth, world: LiaisonOffice, users: UserStore,
    who: str, slug: str, fields: dict[str, str], status: int, code: str | None,
) -> None:  # fmt: skip
    headers = await auth(who)
    before, refusals = events(world), topics(world, "PermissionRefused")
    everyone = [u.model_dump() for u in await users.everyone()]
    response = await post(client, headers, slug, **fields)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["code"] == code
    assert topics(world, "PermissionRefused") == refusals + 1
    assert events(world) == before + 1  # the audit row, nothing else
    assert [u.model_dump() for u in await users.everyone()] == everyone


async def test_another_provinces_admin_cannot_touch_this_provinces_accounts(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, users: UserStore
) -> None:
    await users.add("admin.x2", PASSWORD, Role.ADMINISTRATOR, "X2")
    neighbour = await auth("admin.x2")
    for slug, fields in (
        ("retire-account", {"username": "clerk"}),
        ("reset-password", {"username": "commune"}),
        ("reassign-account", {"username": "secretary2", "role": "cell_secretary",
                              "unit_id": p.CELL}),  # from its own subtree into another's
        ("open-account", {"username": "spy", "role": "workplace_clerk", "unit_id": p.WORKPLACE}),
    ):  # fmt: skip
        response = await post(client, neighbour, slug, **fields)
        assert response.status_code in (403, 404), (slug, response.text)
    assert (await users.user("clerk")).retired is False  # type: ignore[union-attr]
    assert await users.user("spy") is None


async def test_the_same_command_id_twice_acts_once(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, users: UserStore
) -> None:
    admin = await auth("admin")
    sent = body(username="clerk")
    first = await client.post("/api/commands/reset-password", json=sent, headers=admin)
    assert first.status_code == 200
    assert first.json()["password"]
    before = events(office)
    again = await client.post("/api/commands/reset-password", json=sent, headers=admin)
    assert again.status_code == 200
    assert again.json()["password"] is None  # shown once only
    assert events(office) == before
    assert await users.verify("clerk", first.json()["password"]) is not None


async def test_the_users_page_opens_an_account_and_shows_its_password_once(
    client: httpx.AsyncClient, users: UserStore
) -> None:
    page = await signed_in_page(client, "supervisor", "/forms/users")
    assert 'data-account="clerk"' in page.text
    assert 'data-account="admin"' not in page.text  # above the supervisor's own role
    assert 'value="administrator"' not in page.text
    sent = await client.post("/forms/users", data={
        "csrf": csrf_of(page.text), "command": "open-account", "command_id": str(uuid4()),
        "username": "vanphong.w", "role": "workplace_clerk", "unit_id": p.WORKPLACE,
    })  # fmt: skip
    assert sent.status_code == 200, sent.text
    shown = re.search(r"Mật khẩu dùng một lần: (\S+) ", sent.text)
    assert shown, sent.text
    assert await users.verify("vanphong.w", shown.group(1)) is not None
    again = await client.get("/forms/users")
    assert shown.group(1) not in again.text
    trail = await client.get("/audit", params={"kind": "AccountAdministered"})
    assert trail.status_code == 200
    text = Visible.text(trail.text, "vi")
    assert "Quản trị tài khoản" in text
    # The actor's sign-in name here is "supervisor": a name, not the role's code.
    assert [f for f in problems(text, "vi", units={}) if f != "role 'supervisor'"] == []


async def test_the_users_page_lists_the_units_once_and_moves_an_account_from_it(
    client: httpx.AsyncClient, users: UserStore
) -> None:
    """A merged province has about 29,000 units and hundreds of accounts: a list of units in
    each account's form made a page of millions of options."""
    page = await signed_in_page(client, "admin", "/forms/users")
    accounts = page.text.count("data-account=")
    assert accounts >= 10
    assert page.text.count(f'<option value="{p.CELL}"') == 2  # the new account's, the shared list
    field = re.search(
        r'<input id="unit-(\d+)" name="unit_id" list="unit-choices" value="C2"', page.text
    )
    assert field is not None  # secretary2's form, holding its unit
    sent = await client.post("/forms/users", data={
        "csrf": csrf_of(page.text), "command": "reassign-account", "command_id": str(uuid4()),
        "username": "secretary2", "role": "cell_secretary", "unit_id": p.CELL,
    })  # fmt: skip
    assert sent.status_code == 200, sent.text[-500:]
    moved = await users.user("secretary2")
    assert moved is not None
    assert moved.unit_id == p.CELL
