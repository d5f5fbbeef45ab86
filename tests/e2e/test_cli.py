"""The `liaison` command as a newcomer uses it: a subprocess against real PostgreSQL."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def liaison(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `liaison ARGS` in a fresh interpreter with only the given settings."""
    return subprocess.run(
        [sys.executable, "-c", "from workers.cli import main; main()", *args],
        env={**os.environ, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def settings_env(pg_url: str, tmp_path: Path) -> dict[str, str]:
    """Settings that point the CLI at this test's own PostgreSQL schema."""
    return {"DATABASE_URL": pg_url, "LIAISON_DATA_DIR": str(tmp_path), "LIAISON_LANG": "en"}


def test_up_once_records_the_sample_year_and_prints_its_timeline(settings_env: dict[str, str]):
    first = liaison("up", "--once", env=settings_env)
    assert first.returncode == 0, first.stderr
    for event in ("Referred to residence", "Received by the cell", "Assessed", "Reported back"):
        assert event in first.stdout
    again = liaison("up", "--once", env=settings_env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("Meeting attendance recorded") == 2  # nothing recorded twice


def test_a_full_year_for_a_new_member_through_the_cli(settings_env: dict[str, str]):
    assert liaison("sample", env=settings_env).returncode == 0
    year = "2025"
    steps = [
        (
            "register",
            "93000077",
            "--name",
            "Lê Thị Hoa",
            "--birth",
            "1985-06-01",
            "--workplace",
            "MAU-SO-TC",
            "--as",
            "workplace_clerk:MAU-SO-TC",
            "--date",
            "2025-01-02",
        ),
        (
            "refer",
            "93000077",
            "--commune",
            "MAU-P1",
            "--as",
            "workplace_clerk:MAU-SO-TC",
            "--date",
            "2025-01-03",
        ),
        (
            "receive-commune",
            "93000077",
            "--cell",
            "MAU-P1-TDP1",
            "--as",
            "commune_clerk:MAU-P1",
            "--date",
            "2025-01-10",
        ),
        ("receive-cell", "93000077", "--as", "cell_secretary:MAU-P1-TDP1", "--date", "2025-01-12"),
        (
            "meeting",
            "MAU-P1-TDP1",
            "--present",
            "93000077",
            "--relative",
            "93000001",
            "--as",
            "cell_secretary:MAU-P1-TDP1",
            "--date",
            "2025-06-01",
        ),
        (
            "assess",
            "93000077",
            "--year",
            year,
            "--grade",
            "fulfilled_well",
            "--front",
            "Trần B",
            "--as",
            "cell_secretary:MAU-P1-TDP1",
            "--date",
            "2025-11-05",
        ),
        (
            "confirm",
            "93000077",
            "--year",
            year,
            "--as",
            "commune_clerk:MAU-P1",
            "--date",
            "2025-11-07",
        ),
        (
            "report-back",
            "93000077",
            "--year",
            year,
            "--as",
            "commune_clerk:MAU-P1",
            "--date",
            "2025-11-09",
        ),
    ]
    for step in steps:
        result = liaison(*step, env=settings_env)
        assert result.returncode == 0, (step, result.stdout, result.stderr)
    timeline = liaison("timeline", "93000077", env=settings_env)
    assert timeline.returncode == 0
    labels = [
        "Referred to residence",
        "Received by the commune",
        "Received by the cell",
        "Meeting attendance recorded",
        "Assessed",
        "Assessment confirmed",
        "Reported back",
    ]
    positions = [timeline.stdout.index(label) for label in labels]
    assert positions == sorted(positions), timeline.stdout


def test_refusals_print_the_reason_and_exit_2(settings_env: dict[str, str]):
    assert liaison("sample", env=settings_env).returncode == 0
    wrong_scale = liaison(
        "assess",
        "93000001",
        "--year",
        "2025",
        "--grade",
        "good",
        "--as",
        "cell_secretary:MAU-P1-TDP1",
        env=settings_env,
    )
    assert wrong_scale.returncode == 2
    assert "already assessed" in wrong_scale.stdout or "not on the scale" in wrong_scale.stdout
    outside = liaison(
        "refer",
        "93000001",
        "--commune",
        "MAU-P1",
        "--as",
        "cell_secretary:MAU-P1-TDP1",
        env=settings_env,
    )
    assert outside.returncode == 2
    assert "(out_of_scope)" in outside.stdout
    vietnamese = liaison("timeline", "00000000", env={**settings_env, "LIAISON_LANG": "vi"})
    assert vietnamese.returncode == 2
    assert "Không tìm thấy" in vietnamese.stdout


def test_embedded_postgres_keeps_data_across_restarts(tmp_path: Path):
    """Each CLI process starts the embedded server and stops it on exit; the data stays."""
    env = {"LIAISON_DATA_DIR": str(tmp_path), "LIAISON_LANG": "en", "DATABASE_URL": ""}
    first = liaison("up", "--once", env=env)
    assert first.returncode == 0, first.stderr
    assert not (tmp_path / "postgres" / "postmaster.pid").exists()  # stopped with its process
    timeline = liaison("timeline", "93000001", env=env)
    assert timeline.returncode == 0, timeline.stderr
    assert "Reported back" in timeline.stdout


def test_up_with_the_demo_province_loads_it_once(settings_env: dict[str, str]):
    first = liaison("up", "--once", "--demo", env=settings_env)
    assert first.returncode == 0, first.stderr
    assert "1,000 members" in first.stdout, first.stdout
    again = liaison("up", "--once", "--demo", env=settings_env)
    assert again.returncode == 0, again.stderr
    assert "already loaded" in again.stdout
