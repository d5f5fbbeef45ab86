"""The `liaison` command as a newcomer uses it: a subprocess against real PostgreSQL."""

from pathlib import Path

import pytest

from tests.conftest import run_liaison as liaison


@pytest.fixture
def settings_env(pg_url: str, tmp_path: Path) -> dict[str, str]:
    """Settings that point the CLI at this test's own PostgreSQL schema."""
    return {
        "DATABASE_URL": pg_url,
        "LIAISON_DATA_DIR": str(tmp_path),
        "LIAISON_LANG": "en",
        "XDG_CONFIG_HOME": str(tmp_path / "nobody"),
    }


def test_up_once_records_the_sample_year_and_prints_its_timeline(settings_env: dict[str, str]):
    first = liaison("up", "--once", env=settings_env)
    assert first.returncode == 0, first.stderr
    for event in ("Referred to residence", "Received by the cell", "Assessed", "Reported back"):
        assert event in first.stdout
    again = liaison("up", "--once", env=settings_env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("Meeting attendance recorded") == 2  # nothing recorded twice


PASSWORD = "correct horse battery"
PEOPLE = {
    "clerk.so-tc": ("workplace_clerk", "MAU-SO-TC"),
    "clerk.phuong-1": ("commune_clerk", "MAU-P1"),
    "bithu.tdp1": ("cell_secretary", "MAU-P1-TDP1"),
}


def signed_in(name: str, env: dict[str, str], home: Path) -> dict[str, str]:
    """Create the board user, log in as them in their own config folder; their settings."""
    role, unit = PEOPLE[name]
    added = liaison("users", "add", name, "--role", role, "--unit", unit, "--password", PASSWORD,
                    env=env)  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    theirs = {**env, "XDG_CONFIG_HOME": str(home / name)}
    login = liaison("login", name, "--password-stdin", env=theirs, stdin=PASSWORD)
    assert login.returncode == 0, login.stdout + login.stderr
    return theirs


def test_a_full_year_for_a_new_member_through_the_cli(settings_env: dict[str, str], tmp_path: Path):
    assert liaison("sample", env=settings_env).returncode == 0
    clerk, commune, cell = (signed_in(name, settings_env, tmp_path) for name in PEOPLE)
    year = "2025"
    steps = [
        (clerk, "register-member", "--card", "93000077", "--name", "Lê Thị Hoa",
         "--birth", "1985-06-01", "--workplace", "MAU-SO-TC", "--date", "2025-01-02"),
        (clerk, "refer", "93000077", "--commune", "MAU-P1", "--date", "2025-01-03"),
        (commune, "receive-at-commune", "93000077", "--cell", "MAU-P1-TDP1",
         "--date", "2025-01-10"),
        (cell, "receive-at-cell", "93000077", "--date", "2025-01-12"),
        (cell, "record-meeting", "--cell", "MAU-P1-TDP1", "--present", "93000077",
         "--relative-sent", "93000001",
         "--date", "2025-06-01"),
        (cell, "assess", "93000077", "--year", year, "--grade", "fulfilled_well", "--front",
         "Trần B", "--date", "2025-11-05"),
        (commune, "confirm-assessment", "93000077", "--year", year, "--date", "2025-11-07"),
        (commune, "report-back", "93000077", "--year", year, "--date", "2025-11-09"),
    ]  # fmt: skip
    for env, *step in steps:
        result = liaison(*step, env=env)
        assert result.returncode == 0, (step, result.stdout, result.stderr)
    timeline = liaison("timeline", "93000077", env=clerk)
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
    assert "clerk.so-tc" in timeline.stdout  # the events name the signed-in users
    assert "bithu.tdp1" in timeline.stdout


def test_refusals_print_the_reason_and_exit_2(settings_env: dict[str, str], tmp_path: Path):
    assert liaison("sample", env=settings_env).returncode == 0
    anonymous = liaison("refer", "93000001", "--commune", "MAU-P1", env=settings_env)
    assert anonymous.returncode == 2
    assert "liaison login" in anonymous.stdout
    claimed = liaison(
        "refer", "93000001", "--commune", "MAU-P1", "--as", "workplace_clerk:MAU-SO-TC",
        env=settings_env,
    )  # fmt: skip
    assert claimed.returncode == 2
    assert "No such option" in claimed.stderr  # nobody acts by claiming a role any more
    cell = signed_in("bithu.tdp1", settings_env, tmp_path)
    wrong_scale = liaison("assess", "93000001", "--year", "2025", "--grade", "good", env=cell)
    assert wrong_scale.returncode == 2
    assert "already assessed" in wrong_scale.stdout or "not on the scale" in wrong_scale.stdout
    outside = liaison("refer", "93000001", "--commune", "MAU-P1", env=cell)
    assert outside.returncode == 2
    assert "(out_of_scope)" in outside.stdout
    vietnamese = liaison("timeline", "00000000", env={**cell, "LIAISON_LANG": "vi"})
    assert vietnamese.returncode == 2
    assert "Không tìm thấy" in vietnamese.stdout


def test_a_meeting_accounts_for_every_member_through_the_cli(
    settings_env: dict[str, str], tmp_path: Path
):
    assert liaison("sample", env=settings_env).returncode == 0  # Nguyễn Văn An, received at TDP1
    cell = signed_in("bithu.tdp1", settings_env, tmp_path)
    vi = {**cell, "LIAISON_LANG": "vi"}
    meeting = ("record-meeting", "--cell", "MAU-P1-TDP1", "--date", "2026-06-02")
    empty = liaison(*meeting, env=cell)
    assert empty.returncode == 2, empty.stdout + empty.stderr
    assert "The attendance list leaves out Nguyễn Văn An" in empty.stdout
    empty_vi = liaison(*meeting, env=vi)
    assert empty_vi.returncode == 2
    assert "Danh sách điểm danh còn thiếu Nguyễn Văn An" in empty_vi.stdout
    held = liaison(*meeting, "--others-present", env=cell)
    assert held.returncode == 0, held.stdout + held.stderr
    assert "Present: 1 of 1." in held.stdout
    again = liaison(*meeting, "--present", "93000001", env=vi)
    assert again.returncode == 2
    assert "đã có buổi sinh hoạt định kỳ ngày 02/06/2026" in again.stdout
    timeline = liaison("timeline", "93000001", env=cell)
    assert timeline.stdout.count("Meeting attendance recorded") == 3  # the sample's two, this one


def test_a_birth_date_in_the_future_is_refused_through_the_cli(
    settings_env: dict[str, str], tmp_path: Path
):
    assert liaison("sample", env=settings_env).returncode == 0
    clerk = signed_in("clerk.so-tc", settings_env, tmp_path)
    register = ("register-member", "--card", "93000099", "--name", "Sinh Năm Sau",
                "--birth", "2030-05-01", "--workplace", "MAU-SO-TC")  # fmt: skip
    refused = liaison(*register, env=clerk)
    assert refused.returncode == 2
    assert "The date of birth 1 May 2030 lies in the future." in refused.stdout
    refused_vi = liaison(*register, env={**clerk, "LIAISON_LANG": "vi"})
    assert refused_vi.returncode == 2
    assert "Ngày sinh 01/05/2030 là một ngày trong tương lai." in refused_vi.stdout
    nothing = liaison("timeline", "93000099", env=clerk)
    assert nothing.returncode == 2  # no such member: nothing was registered
    registered = liaison(*register[:-4], "--birth", "1990-05-01", "--workplace", "MAU-SO-TC",
                         env=clerk)  # fmt: skip
    assert registered.returncode == 0, registered.stdout
    assert "Sinh Năm Sau: " in registered.stdout  # a success names the member


def test_embedded_postgres_keeps_data_across_restarts(tmp_path: Path):
    """Each CLI process starts the embedded server and stops it on exit; the data stays."""
    env = {"LIAISON_DATA_DIR": str(tmp_path), "LIAISON_LANG": "en", "DATABASE_URL": ""}
    first = liaison("up", "--once", env=env)
    assert first.returncode == 0, first.stderr
    assert not (tmp_path / "postgres" / "postmaster.pid").exists()  # stopped with its process
    timeline = liaison("timeline", "93000001", env=signed_in("clerk.so-tc", env, tmp_path))
    assert timeline.returncode == 0, timeline.stderr
    assert "Reported back" in timeline.stdout


def test_up_with_the_demo_province_loads_it_once(settings_env: dict[str, str]):
    first = liaison("up", "--once", "--demo", env=settings_env)
    assert first.returncode == 0, first.stderr
    assert "1,000 members" in first.stdout, first.stdout
    again = liaison("up", "--once", "--demo", env=settings_env)
    assert again.returncode == 0, again.stderr
    assert "already loaded" in again.stdout
