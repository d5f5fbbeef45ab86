"""Nghệ An's figure, on real PostgreSQL: "cells that assessed their 213 members, of all cells with
213 members" — per unit, rolled up to the province, each count the length of its list of cells."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from application.office import LiaisonOffice
from domain import commands as c
from domain.roles import Actor, Role
from tests.api.test_signin import web_sign_in
from tests.integration import province as p

COMMUNE2 = Actor(id="commune2", role=Role.COMMUNE_CLERK, unit_id="X2")
SECRETARY2 = Actor(id="secretary2", role=Role.CELL_SECRETARY, unit_id="C2")


def _assess(office: LiaisonOffice, liaison_id: Any, secretary: Actor = p.SECRETARY) -> None:
    office.execute(
        c.Assess(
            **p.by(secretary, date(2026, 11, 10)), liaison_id=liaison_id, year=p.YEAR,
            grade="fulfilled_well", front_committee_representative="Trần Thị Bình",
        )
    )  # fmt: skip


async def _cells(client: httpx.AsyncClient, unit: str) -> tuple[int, int, list[str], list[str]]:
    figures = (await client.get(f"/api/units/{unit}/figures")).json()["current"]["counts"]
    lists = [
        [r["unit_id"] for r in (await client.get(f"/api/units/{unit}/lists/{m}")).json()]
        for m in ("cells_assessing", "cells_assessed")
    ]
    return figures["cells_assessing"], figures["cells_assessed"], *lists  # type: ignore[return-value]


async def test_cells_that_assessed_all_their_members(
    client: httpx.AsyncClient, office: LiaisonOffice
) -> None:
    first = p.received_member(office, 1, name="Trần Văn Bảo")
    second = p.received_member(office, 2, name="Lê Văn Dũng")
    member = p.register(office, 3, "Phạm Thị Cúc")
    third = office.execute(
        c.Refer(**p.by(p.CLERK, p.REFERRED_ON), member_id=member,
                referral=c.Referral(residence_commune_id="X2"))
    ).liaison_id  # fmt: skip
    office.execute(c.ReceiveAtCommune(**p.by(COMMUNE2, p.COMMUNE_RECEIVED_ON), liaison_id=third,
                                      cell_id="C2"))  # fmt: skip
    office.execute(c.ReceiveAtCell(**p.by(SECRETARY2, p.CELL_RECEIVED_ON), liaison_id=third))
    _assess(office, first.liaison_id)

    await web_sign_in(client, "supervisor")
    assert await _cells(client, p.PROVINCE) == (2, 0, ["C1", "C2"], [])
    _assess(office, second.liaison_id)  # C1 has now assessed both its members
    assert await _cells(client, p.PROVINCE) == (2, 1, ["C1", "C2"], ["C1"])
    assert await _cells(client, p.COMMUNE) == (1, 1, ["C1"], ["C1"])
    assert await _cells(client, "X2") == (1, 0, ["C2"], [])
    assert await _cells(client, p.WORKPLACE) == (0, 0, [], [])  # a workplace has no cells
    _assess(office, third, SECRETARY2)
    assert await _cells(client, p.PROVINCE) == (2, 2, ["C1", "C2"], ["C1", "C2"])

    page = (await client.get(f"/list/cells_assessed?unit={p.PROVINCE}")).text
    assert 'href="/figures?unit=C1"' in page
    assert "Chi bộ đã nhận xét, đánh giá đủ đảng viên" in page
    figures = (await client.get(f"/figures?unit={p.PROVINCE}")).text
    assert "Chi bộ có đảng viên phải nhận xét, đánh giá" in figures

    await web_sign_in(client, "commune2")  # X2's clerk sees X2's cell, not X's
    assert await _cells(client, "X2") == (1, 1, ["C2"], ["C2"])
    assert (await client.get(f"/api/units/{p.COMMUNE}/lists/cells_assessed")).status_code == 403
