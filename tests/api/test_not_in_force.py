"""The API and the CLI give the same answer for a unit not in force on the date asked."""

from __future__ import annotations

from datetime import date

import httpx

from api.messages import refusal_text
from application.office import LiaisonOffice
from domain import commands as c
from domain.organisation import Unit, UnitKind, not_in_force
from tests.api.conftest import Auth
from tests.integration import province as p


async def test_a_unit_not_yet_in_force_is_refused_as_the_cli_refuses_it(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    ward = Unit(id="X3", name="Phường Mới", kind=UnitKind.COMMUNE_COMMITTEE,
                parent_id=p.PROVINCE, valid_from=date(2026, 6, 1))  # fmt: skip
    office.execute(c.EstablishUnit(**p.by(p.ADMIN, date(2026, 6, 1)), unit=ward))
    inspector = await auth("inspector")
    for path in ("figures", "lists/in_scope"):
        before = await client.get(f"/api/units/X3/{path}?on=2026-02-28", headers=inspector)
        assert before.status_code == 404, before.text
        assert before.json()["code"] == "unknown_unit"
        expected = refusal_text(not_in_force("X3", date(2026, 2, 28)), "vi")  # the CLI's words
        assert before.json()["message"].replace("Phường Mới (X3)", "X3") == expected
    since = await client.get("/api/units/X3/figures?on=2026-06-02", headers=inspector)
    assert since.status_code == 200, since.text
