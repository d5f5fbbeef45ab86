"""A time written without a zone is Vietnam's, wherever a board or the CLI reads one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import typer
from typer.testing import CliRunner

from api.reads import Scope
from domain.calendar import VIETNAM, in_vietnam
from projections.dashboard import Period
from workers.cli_read import KnownAt, _zoned

NAIVE = datetime(2026, 11, 20, 22, 49, 6)
ZONED = datetime(2026, 11, 20, 22, 49, 6, tzinfo=VIETNAM)


def test_a_naive_time_is_vietnams_and_a_zoned_one_is_kept() -> None:
    assert in_vietnam(NAIVE) == ZONED
    assert in_vietnam(NAIVE) != NAIVE.replace(tzinfo=UTC)
    elsewhere = datetime(2026, 11, 20, 15, 49, 6, tzinfo=UTC)
    assert in_vietnam(elsewhere) is elsewhere
    assert in_vietnam(elsewhere) == ZONED


def test_the_board_and_the_cli_read_the_same_moment() -> None:
    assert Period("P", date(2026, 11, 20), NAIVE).known_at == ZONED
    assert Period("P", date(2026, 11, 20), ZONED) == Period("P", date(2026, 11, 20), NAIVE)
    scope = Scope(unit_id="P", year=2026, on=date(2026, 11, 20), recorded_by=NAIVE)
    assert scope.recorded_by == ZONED
    parsed = Scope.model_validate(
        {"unit_id": "P", "year": 2026, "on": "2026-11-20", "recorded_by": "2026-11-20T22:49:06"}
    )
    assert parsed.recorded_by == ZONED
    assert _zoned(NAIVE) == ZONED
    assert _zoned(None) is None


def test_the_cli_option_reads_a_naive_time_as_vietnams() -> None:
    seen: list[datetime] = []
    probe = typer.Typer()

    @probe.command()
    def show(known_at: KnownAt = None) -> None:
        assert known_at is not None
        seen.append(known_at)

    for text in ("2026-11-20T22:49:06", "2026-11-20T22:49:06+07:00"):
        result = CliRunner().invoke(probe, ["--known-at", text])
        assert result.exit_code == 0, result.output
    assert seen == [ZONED, ZONED]
