"""Units from the board: add, end, merge (with its preview), each a registry command with its
audit row; refusals write only that row."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

import httpx
import psycopg
import pytest

from api.users import UserStore
from application.office import LiaisonOffice
from domain.roles import Role
from tests.api.conftest import PASSWORD, Auth, body
from tests.api.test_sessions import events
from tests.api.test_signin import topics, web_sign_in
from tests.integration import province as p

YESTERDAY = p.TODAY - timedelta(days=1)


def ward(**changes: Any) -> dict[str, Any]:
    """A new ward under the province from today."""
    unit = {"id": "XP", "name": "Đảng ủy phường Hòa Bình", "kind": "commune_committee",
            "parent_id": p.PROVINCE, "valid_from": p.TODAY.isoformat()}  # fmt: skip
    return {**unit, **changes}


async def send(
    client: httpx.AsyncClient, headers: dict[str, str], slug: str, **fields: Any
) -> httpx.Response:
    """Send a command through the API with a fresh command id."""
    return await client.post(f"/api/commands/{slug}", json=body(**fields), headers=headers)


async def test_two_communes_merge_into_a_ward_and_the_tree_reads_both_ways(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    p.received_member(office, 1)
    merged = await send(
        client, await auth("admin"), "succeed-units",
        predecessor_ids=[p.COMMUNE, "X2"], successor=ward(),
    )  # fmt: skip
    assert merged.status_code == 200, merged.text
    tree = office.tree()
    before = {u.id: d for d, u in tree.outline(p.PROVINCE, YESTERDAY)}
    after = {u.id: d for d, u in tree.outline(p.PROVINCE, p.TODAY)}
    assert "XP" not in before
    assert {p.COMMUNE, "X2"} <= set(before)
    assert not {p.COMMUNE, "X2"} & set(after)
    assert tree.parent_on(tree.unit(p.CELL), p.TODAY).id == "XP"  # type: ignore[union-attr]
    assert tree.parent_on(tree.unit("C2"), YESTERDAY).id == "X2"  # type: ignore[union-attr]
    assert after[p.CELL] == after["XP"] + 1


async def test_the_units_page_previews_a_merger_then_records_it_when_confirmed(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    p.received_member(office, 1)
    p.received_member(office, 2)
    await web_sign_in(client, "admin", page="/forms/units")
    query = {
        "preview": "1", "predecessor_ids": [p.COMMUNE, "X2"], "successor.name": "Phường Mới",
        "successor.id": "XP", "successor.kind": "commune_committee",
        "successor.parent_id": p.PROVINCE, "successor.valid_from": p.TODAY.isoformat(),
    }  # fmt: skip
    before = events(office)
    preview = await client.get("/forms/units", params=query)
    assert preview.status_code == 200
    assert events(office) == before  # a preview records nothing
    assert f'data-moving="{p.CELL}"' in preview.text
    assert 'data-moving="C2"' in preview.text
    assert 'data-total-members="2"' in preview.text
    form = re.search(r'<section class="card" aria-labelledby="preview-title".*?</section>',
                     preview.text, re.S)  # fmt: skip
    assert form
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(0))
    sent = await client.post(
        "/forms/units", content=urlencode(fields),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert sent.status_code == 200, sent.text
    assert "XP" in office.tree()
    assert office.tree().unit(p.COMMUNE).successor_id == "XP"
    today = await client.get("/forms/units")
    assert 'data-unit="XP"' in today.text
    assert f'data-unit="{p.COMMUNE}"' not in today.text
    yesterday = await client.get("/forms/units", params={"on": YESTERDAY.isoformat()})
    assert f'data-unit="{p.COMMUNE}"' in yesterday.text
    assert 'data-unit="XP"' not in yesterday.text


async def test_another_provinces_units_are_not_previewed(
    client: httpx.AsyncClient, users: UserStore
) -> None:
    await users.add("admin.x2", PASSWORD, Role.ADMINISTRATOR, "X2")
    await web_sign_in(client, "admin.x2", page="/forms/units")
    preview = await client.get("/forms/units", params={
        "preview": "1", "predecessor_ids": [p.COMMUNE], "successor.name": "Y"})  # fmt: skip
    assert preview.status_code == 200
    assert f'data-ending="{p.COMMUNE}"' not in preview.text
    assert f'data-moving="{p.CELL}"' not in preview.text


async def test_a_unit_is_added_and_ended_from_the_board(
    client: httpx.AsyncClient, office: LiaisonOffice, pg_url: str
) -> None:
    csrf = await web_sign_in(client, "admin", page="/forms/units")
    added = await client.post("/forms/units", data={
        "csrf": csrf, "command": "establish-unit", "command_id": str(uuid4()),
        "unit.name": "Chi bộ khu phố 9", "unit.id": "C9", "unit.kind": "residence_cell",
        "unit.parent_id": p.COMMUNE, "unit.valid_from": "2026-01-01",
    })  # fmt: skip
    assert added.status_code == 200, added.text
    ended = await client.post("/forms/units", data={
        "csrf": csrf, "command": "end-unit", "command_id": str(uuid4()), "unit_id": "C9",
        "effective_date": p.TODAY.isoformat(),
    })  # fmt: skip
    assert ended.status_code == 200, ended.text
    assert office.tree().unit("C9").valid_until == p.TODAY
    assert not office.tree().unit("C9").in_force_on(p.TODAY)
    with psycopg.connect(pg_url) as conn:  # the read models followed (the page waited for them)
        row = conn.execute("SELECT valid_until FROM unit WHERE unit_id = 'C9'").fetchone()
        spans = conn.execute(
            "SELECT max(valid_until) FROM unit_ancestry WHERE unit_id = 'C9'"
        ).fetchone()
    assert row == (p.TODAY,)
    assert spans == (p.TODAY,)


REFUSALS: list[tuple[str, str, dict[str, Any], int]] = [
    ("supervisor", "succeed-units", {"predecessor_ids": ["X2"], "successor": ward()}, 403),
    ("commune", "end-unit", {"unit_id": p.CELL}, 403),
    ("admin", "succeed-units", {"predecessor_ids": ["NOPE"], "successor": ward()}, 404),
    ("admin", "end-unit", {"unit_id": "NOPE"}, 404),
    # Into itself, into a cell (a cell's kind, or under a cell).
    ("admin", "succeed-units", {"predecessor_ids": ["X2"], "successor": ward(id="X2")}, 409),
    ("admin", "succeed-units",
     {"predecessor_ids": ["X2"], "successor": ward(kind="residence_cell")}, 422),
    ("admin", "succeed-units",
     {"predecessor_ids": ["X2"], "successor": ward(parent_id=p.CELL)}, 422),
    ("admin", "succeed-units", {"predecessor_ids": ["X2", "X2"], "successor": ward()}, 422),
    ("admin", "succeed-units", {"predecessor_ids": [], "successor": ward()}, 422),
    # Ending before it began; ending a commune with cells still under it.
    ("admin", "end-unit", {"unit_id": "C2", "effective_date": "1999-12-31"}, 422),
    ("admin", "end-unit", {"unit_id": "X2"}, 422),
    # Hostile payloads: a new unit that names its own successor or end, odd codes and names.
    ("admin", "succeed-units",
     {"predecessor_ids": ["X2"], "successor": ward(successor_id=p.COMMUNE)}, 422),
    ("admin", "succeed-units",
     {"predecessor_ids": ["X2"], "successor": ward(valid_until="2000-01-01")}, 422),
    ("admin", "succeed-units",
     {"predecessor_ids": ["X2"], "successor": ward(id="X P'; DROP TABLE unit")}, 422),
    ("admin", "succeed-units",
     {"predecessor_ids": ["X2"], "successor": ward(name="Phường\u202eevil")}, 422),
    ("admin", "succeed-units",
     {"predecessor_ids": ["X2"], "successor": ward(), "actor": {"id": "x", "role":
      "administrator", "unit_id": "P"}}, 422),
    # A cell of one's own moved into another province.
    ("admin", "succeed-units", {"predecessor_ids": [p.CELL], "successor": {
        "id": "C1p", "name": "Chi bộ", "kind": "residence_cell", "parent_id": "X9",
        "valid_from": p.TODAY.isoformat()}}, 403),
    # Another province's cell ended, merged into one's own, or a unit entered under it.
    ("admin", "end-unit", {"unit_id": "C9"}, 403),
    ("admin", "succeed-units", {"predecessor_ids": ["C9"], "successor": {
        "id": "C9b", "name": "Chi bộ", "kind": "residence_cell", "parent_id": p.COMMUNE,
        "valid_from": p.TODAY.isoformat()}}, 403),
    ("admin", "establish-unit", {"unit": {"id": "C7", "name": "Chi bộ", "kind": "residence_cell",
                                          "parent_id": "X9", "valid_from": "2026-01-01"}}, 403),
    # A sub-administrator opening a province of its own, or raising its commune to one.
    ("admin.x2", "establish-unit", {"unit": {"id": "P3", "name": "Tỉnh", "valid_from":
                                             "2026-01-01", "kind": "provincial_committee"}}, 403),
    ("admin.x2", "succeed-units", {"predecessor_ids": ["C2"], "successor": {
        "id": "C2r", "name": "Chi bộ", "kind": "residence_cell", "valid_from":
        p.TODAY.isoformat()}}, 403),
    # A province succeeded under its own commune: a cycle of parents.
    ("admin", "succeed-units", {"predecessor_ids": [p.PROVINCE], "successor": {
        "id": "Pb", "name": "Tỉnh", "kind": "provincial_committee", "parent_id": p.COMMUNE,
        "valid_from": p.TODAY.isoformat()}}, 422),
    # An id taken, or a unit already ended.
    ("admin", "establish-unit", {"unit": {"id": "C9", "name": "Chi bộ", "kind": "residence_cell",
                                          "parent_id": p.COMMUNE, "valid_from": "2026-01-01"}},
     409),
    ("admin", "end-unit", {"unit_id": "C8"}, 403),  # ended: no longer in its subtree
    # Roles that do not administer units (a supervisor, another province's clerk).
    ("supervisor", "end-unit", {"unit_id": "C2"}, 403),
    ("clerk.p2", "end-unit", {"unit_id": "C9"}, 403),
]  # fmt: skip


@pytest.mark.parametrize(("who", "slug", "fields", "status"), REFUSALS)
async def test_refused_unit_changes_write_only_their_audit_row(
    client: httpx.AsyncClient, auth: Auth, world: LiaisonOffice,
    who: str, slug: str, fields: dict[str, Any], status: int,
) -> None:  # fmt: skip
    headers = await auth(who)
    tree_before, before = list(world.tree()), events(world)
    response = await send(client, headers, slug, **fields)
    assert response.status_code == status, response.text
    assert events(world) == before + 1  # the audit row, nothing else
    assert topics(world, "PermissionRefused") >= 1
    assert list(world.tree()) == tree_before


async def test_another_provinces_administrator_cannot_merge_or_end_this_ones_units(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice, users: UserStore
) -> None:
    await users.add("admin.x2", PASSWORD, Role.ADMINISTRATOR, "X2")
    neighbour = await auth("admin.x2")
    tree_before = list(office.tree())
    for slug, fields in (
        ("succeed-units", {"predecessor_ids": [p.CELL], "successor": {
            "id": "C1b", "name": "Chi bộ", "kind": "residence_cell", "parent_id": "X2",
            "valid_from": p.TODAY.isoformat()}}),  # takes a neighbour's cell into its own
        ("end-unit", {"unit_id": p.CELL}),
        ("establish-unit", {"unit": {"id": "C7", "name": "Chi bộ", "kind": "residence_cell",
                                     "parent_id": p.COMMUNE, "valid_from": "2026-01-01"}}),
    ):  # fmt: skip
        response = await send(client, neighbour, slug, **fields)
        assert response.status_code == 403, (slug, response.text)
    assert list(office.tree()) == tree_before


async def test_the_same_merger_sent_twice_is_recorded_once(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    sent = body(predecessor_ids=["X2"], successor=ward(id="X2b", name="Xã mới"))
    admin = await auth("admin")
    first = await client.post("/api/commands/succeed-units", json=sent, headers=admin)
    assert first.status_code == 200, first.text
    before = events(office)
    again = await client.post("/api/commands/succeed-units", json=sent, headers=admin)
    assert again.status_code == 200
    assert events(office) == before
    assert topics(office, "UnitsSucceeded") == 1


def test_a_unit_ending_is_refused_on_the_day_it_began() -> None:
    from domain.errors import Malformed
    from domain.organisation import Unit, UnitKind
    from domain.registry import Organisation
    from domain.roles import Actor
    from domain.stamp import Stamp

    organisation = Organisation.start()
    admin = Actor(id="a", role=Role.ADMINISTRATOR, unit_id="P")
    stamp = Stamp(actor=admin, command_id=uuid4(), effective_date=date(2026, 1, 1),
                  regulation="213")  # fmt: skip
    organisation.establish(stamp, Unit(id="P", name="P", kind=UnitKind.PROVINCIAL_COMMITTEE,
                                       valid_from=date(2026, 1, 1)))  # fmt: skip
    with pytest.raises(Malformed):
        organisation.end(stamp, "P", date(2026, 1, 1))


async def move(
    client: httpx.AsyncClient, csrf: str, cell: str, parent: str, code: str
) -> httpx.Response:
    """Post the units page's form moving a cell under another parent from today."""
    return await client.post("/forms/units", data={
        "csrf": csrf, "command": "succeed-units", "command_id": str(uuid4()),
        "predecessor_ids": cell, "successor.parent_id": parent, "successor.id": code,
        "successor.valid_from": p.TODAY.isoformat(),
    })  # fmt: skip


async def test_a_cell_moves_under_another_commune_from_the_board(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    csrf = await web_sign_in(client, "admin", page="/forms/units")
    moved = await move(client, csrf, "C2", p.COMMUNE, "C2b")
    assert moved.status_code == 200, moved.text
    tree = office.tree()
    assert tree.unit("C2b").name == tree.unit("C2").name
    assert tree.in_force("C2", p.TODAY).parent_id == p.COMMUNE  # its liaisons follow it
    assert tree.parent_on(tree.unit("C2"), YESTERDAY).id == "X2"  # type: ignore[union-attr]
    into_a_cell = await move(client, csrf, "C2b", p.CELL, "C2c")
    assert into_a_cell.status_code == 409
    assert "C2c" not in office.tree()
