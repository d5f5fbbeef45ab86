"""A province's deadlines from the board: shown beside the regulation's default, changed from a
date and withdrawn by its administrators and supervisors, and every other attempt refused with
nothing written but its audit record."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from application.office import LiaisonOffice
from domain import commands as c
from domain.organisation import Unit, UnitKind
from tests.api.test_signin import signed_in_page, web_sign_in
from tests.integration import province as p

NEIGHBOUR = "P2"
FROM = "2026-11-01"


def neighbouring_province(office: LiaisonOffice) -> None:
    unit = Unit(
        id=NEIGHBOUR, name="Tỉnh ủy Bạc Liêu", kind=UnitKind.PROVINCIAL_COMMITTEE,
        valid_from=date(2000, 1, 1),
    )  # fmt: skip
    office.execute(c.EstablishUnit(**p.by(p.ADMIN, date(2026, 1, 1)), unit=unit))


def change(csrf: str, **fields: Any) -> dict[str, Any]:
    return {
        "csrf": csrf, "command": "override-policy", "province_id": p.PROVINCE,
        "setting": "receipt_days", "value": "15", "effective_date": FROM, **fields,
    }  # fmt: skip


@pytest.mark.parametrize("username", ["admin", "supervisor"])
async def test_a_deadline_changed_and_withdrawn_from_the_board(
    client: httpx.AsyncClient, office: LiaisonOffice, username: str
) -> None:
    csrf = await web_sign_in(client, username, page="/forms/policy")
    shown = await client.get("/forms/policy")
    assert "Tiếp nhận sau khi giới thiệu (ngày)" in shown.text  # the setting by its name
    assert "receipt_days</" not in shown.text

    answer = await client.post("/forms/policy", data=change(csrf))
    assert answer.status_code == 200, answer.text[-800:]
    assert 'role="alert"' not in answer.text
    assert office.policy(p.TODAY, p.COMMUNE).deadlines.receipt_days == 15
    # Beside the default (30), the value in force (15) and the change, dated as people write.
    assert "<td>30</td><td><strong>15</strong></td>" in answer.text
    assert "01/11/2026" in answer.text

    withdrawn = await client.post("/forms/policy", data={
        "csrf": csrf, "command": "withdraw-policy-override", "province_id": p.PROVINCE,
        "setting": "receipt_days", "override_from": FROM,
    })  # fmt: skip
    assert withdrawn.status_code == 200, withdrawn.text[-800:]
    assert 'role="alert"' not in withdrawn.text
    assert office.policy(p.TODAY, p.COMMUNE).deadlines.receipt_days == 30
    assert office.regulation_book().for_province(p.PROVINCE) == ()


async def test_the_same_form_sent_twice_records_once(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    csrf = await web_sign_in(client, "admin", page="/forms/policy")
    form = change(csrf, command_id="6c7d1a0e-3b52-4e8f-9a4c-1d7f2e3b4c5d")
    first = await client.post("/forms/policy", data=form)
    before = p.event_count(office)
    again = await client.post("/forms/policy", data=form)
    assert (first.status_code, again.status_code) == (200, 200)
    assert p.event_count(office) == before  # the receipt answers: nothing new
    # The same change under a new id is a duplicate, refused and audited.
    twice = await client.post("/forms/policy", data=change(csrf))
    assert twice.status_code == 409
    assert "đã được ghi" in twice.text
    assert p.event_count(office) == before + 1
    assert len(office.regulation_book().for_province(p.PROVINCE)) == 1


@pytest.mark.parametrize(
    ("username", "fields", "says"),
    [
        ("inspector", {}, None),  # wrong role
        ("clerk", {}, None),
        ("supervisor", {"province_id": NEIGHBOUR}, None),  # another province
        ("admin", {"province_id": p.COMMUNE}, "không phải"),  # not a province
        ("admin", {"value": "-5"}, "ngoài giới hạn"),
        ("admin", {"value": "0"}, "ngoài giới hạn"),
        ("admin", {"value": "99999"}, "ngoài giới hạn"),
        ("admin", {"value": "mười"}, None),
        ("admin", {"setting": "grades"}, None),
        ("admin", {"setting": "'; DROP TABLE x;--"}, None),
        ("admin", {"effective_date": "2026-02-31"}, None),  # malformed date
        ("admin", {"effective_date": "31/12/2026"}, None),
        ("admin", {"effective_date": "2099-01-01"}, None),  # in the future
        ("admin", {"command": "withdraw-policy-override", "override_from": FROM}, None),
    ],
)
async def test_refused_from_the_board(
    client: httpx.AsyncClient,
    office: LiaisonOffice,
    username: str,
    fields: dict[str, str],
    says: str | None,
) -> None:
    neighbouring_province(office)
    csrf = await web_sign_in(client, username)
    before = p.event_count(office)
    answer = await client.post("/forms/policy", data=change(csrf, **fields))
    assert answer.status_code in (403, 404, 409, 422), answer.text[-800:]
    assert 'role="alert"' in answer.text or answer.status_code in (403, 404)
    if says is not None:
        assert says in answer.text
    assert p.event_count(office) == before + 1  # its audit record, nothing else
    assert office.regulation_book().for_province(p.PROVINCE) == ()
    assert office.regulation_book().for_province(NEIGHBOUR) == ()


async def test_a_clerk_has_no_province_to_change(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    """A clerk's part of the tree holds no province: the page says so and offers no form."""
    shown = await signed_in_page(client, "clerk", "/forms/policy")
    assert "Không có tỉnh nào thuộc phạm vi của bạn." in shown.text
    assert "override-policy" not in shown.text
