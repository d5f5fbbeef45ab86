"""The import templates, as shipped in docs/templates and offered on the board, import without a
refusal on a fresh install (the sample province `liaison up` records at its first start)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from application.office import LiaisonOffice
from domain.roles import Actor, Role
from workers import walkthrough
from workers.province.board_import import import_parsed, write_templates
from workers.province.reader import read

TODAY = date(2026, 12, 2)
SHIPPED = Path(__file__).parents[2] / "docs" / "templates"
SUPERVISOR = Actor(id="tinhuy.mau", role=Role.SUPERVISOR, unit_id=walkthrough.PROVINCE)
"""Who imports a whole history (referral, receipts, meetings): the province's supervisor."""


@pytest.fixture
def fresh(pg_env: dict[str, str]) -> Iterator[LiaisonOffice]:
    """A new store after its first start: the sample province and its sample member's year."""
    office = LiaisonOffice(env=pg_env, clock=lambda: datetime(2026, 12, 2, 9, tzinfo=UTC))
    walkthrough.record_sample_year(office, TODAY)
    yield office
    office.close()


def pairs(folder: Path) -> list[tuple[Path, Path | None]]:
    """Each language's CSV pair and its workbook."""
    return [
        *(
            (folder / f"members.{lang}.csv", folder / f"history.{lang}.csv")
            for lang in ("vi", "en")
        ),
        *((folder / f"liaison-import.{lang}.xlsx", None) for lang in ("vi", "en")),
    ]


@pytest.mark.parametrize("where", ["shipped", "offered"])
def test_the_templates_import_without_refusals(
    fresh: LiaisonOffice, tmp_path: Path, where: str
) -> None:
    folder = SHIPPED if where == "shipped" else write_templates(tmp_path / "offered")
    for members, history in pairs(folder):
        parsed = read(members, history)
        assert parsed.problems == [], members.name
        report = import_parsed(fresh, parsed, members.name, SUPERVISOR, TODAY, dry_run=True)
        assert report.problems == [], (members.name, report.problems[:3])
        assert (report.members, report.valid) == (3, 3), members.name
    # And for real: the three members are written with their histories.
    members, history = pairs(folder)[0]
    report = import_parsed(
        fresh, read(members, history), members.name, SUPERVISOR, TODAY, dry_run=False
    )
    assert (report.valid, report.problems) == (3, [])
    assert fresh.member_by_card("90050000005").workplace_unit_id == walkthrough.WORKPLACE
