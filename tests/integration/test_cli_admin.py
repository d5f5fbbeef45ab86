"""Administration from the `liaison` CLI: commands generated from the registry, and the units
listed with the parent in force on the asked date."""

from __future__ import annotations

import re
from datetime import timedelta

from application.office import LiaisonOffice
from domain import commands as c
from domain.account import AccountAdministered
from domain.organisation import Unit, UnitKind
from tests.integration import province as p
from tests.integration.test_cli_login import (  # noqa: F401 (the fixtures)
    Shell,
    events,
    office,
    shell,
)

# ruff: noqa: F811 (the fixtures by name)


def _row(output: str, code: str) -> list[str]:
    """The cells of the table row of the unit with that code (its first column names it)."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) > 2 and (cells[1] == code or cells[1].endswith(f"({code})")):
            return cells[1:]
    raise AssertionError(output)


def test_liaison_units_shows_each_cells_parent_in_force_on_the_date(
    office: LiaisonOffice, shell: Shell
) -> None:
    ward = Unit(id="XP", name="Phường Mới", kind=UnitKind.COMMUNE_COMMITTEE,
                parent_id=p.PROVINCE, valid_from=p.TODAY)  # fmt: skip
    office.execute(c.SucceedUnits(**p.by(p.ADMIN, p.TODAY), predecessor_ids=(p.COMMUNE, "X2"),
                                  successor=ward))  # fmt: skip
    assert shell.login("admin").exit_code == 0
    today = shell("units")
    assert today.exit_code == 0, today.output
    assert _row(today.output, p.CELL)[2].endswith("(XP)")  # not the commune merged into it
    assert all(cell.split()[:1] != [p.COMMUNE] for cell in today.output.split("│"))
    before = shell("units", "--on", str(p.TODAY - timedelta(days=1)))
    assert before.exit_code == 0, before.output
    assert _row(before.output, p.CELL)[2] == p.COMMUNE  # its name is its code here
    assert not any(line.startswith("│ Phường Mới") for line in before.output.splitlines())


def test_an_account_is_opened_and_retired_from_the_cli(office: LiaisonOffice, shell: Shell) -> None:
    assert shell.login("admin").exit_code == 0
    opened = shell("open-account", "--username", "bithu.c2", "--role", "cell_secretary",
                   "--unit-id", "C2")  # fmt: skip
    assert opened.exit_code == 0, opened.output
    assert re.search(r"One-time password: \S+", opened.output)
    retired = shell("retire-account", "--username", "secretary2")
    assert retired.exit_code == 0, retired.output
    refused = shell("retire-account", "--username", "admin")  # oneself
    assert refused.exit_code == 2, refused.output
    assert [e.change.value for e in events(office, AccountAdministered)] == [
        "account_opened",
        "account_retired",
    ]
    other = Shell(shell.monkeypatch, shell.home.parent / "other")
    gone = other.login("secretary2")
    assert gone.exit_code == 2, gone.output
