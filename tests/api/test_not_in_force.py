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


async def test_a_recorded_time_out_of_reach_is_refused_or_taken_as_now_not_a_server_error(
    client: httpx.AsyncClient, auth: Auth, office: LiaisonOffice
) -> None:
    """As recorded by a time before Liaison's records begin: refused as the date is, and audited;
    by a time after now (the year 9999 written west of Greenwich included, past what PostgreSQL
    holds): the records as they stand, as a date after today is today."""
    inspector = await auth("inspector")
    for path in ("figures", "lists/in_scope"):
        before = p.event_count(office)
        early = await client.get(
            f"/api/units/{p.PROVINCE}/{path}",
            params={"recorded_by": "0001-01-01T00:00:00"},
            headers=inspector,
        )
        assert (early.status_code, early.json()["code"]) == (422, "malformed"), early.text
        assert p.event_count(office) == before + 1  # its audit row, nothing else
        late = await client.get(
            f"/api/units/{p.PROVINCE}/{path}",
            params={"recorded_by": "9999-12-31T23:59:00-12:00"},
            headers=inspector,
        )
        assert late.status_code == 200, late.text
    rows = await client.get(f"/api/units/{p.PROVINCE}/lists/in_scope", headers=inspector)
    assert late.json() == rows.json()
