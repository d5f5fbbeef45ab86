"""The `liaison` CLI acts as a signed-in board user: login, logout, scope, the access trail."""

from __future__ import annotations

import asyncio
import os
import pwd
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from click.testing import Result
from typer.testing import CliRunner

from api.users import UserStore
from application.office import LiaisonOffice
from domain.access import MaintenanceRun, PermissionRefused, SignedIn, SignInFailed
from domain.liaison_events import Assessed
from domain.roles import Actor, Role
from projections.catalog import all_models
from projections.runner import Projector
from tests.api.conftest import second_branch
from tests.integration import province as p
from workers import cli_support
from workers.cli import app

PASSWORD = "correct horse battery"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
USERS = {
    "secretary": (Role.CELL_SECRETARY, p.CELL),
    "secretary2": (Role.CELL_SECRETARY, "C2"),
    "admin": (Role.ADMINISTRATOR, p.PROVINCE),
    "fresh": (Role.WORKPLACE_CLERK, p.WORKPLACE),
}
ASSESS = ["assess", p.party_card(1), "--year", "2026", "--grade", "fulfilled_well", "--front", "B"]


class Shell:
    """One shell user's `liaison` (their own config folder), on the test's database."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
        self.monkeypatch, self.home = monkeypatch, home
        self.runner = CliRunner()

    def __call__(self, *args: str, stdin: str | None = None, **env: str) -> Result:
        with self.monkeypatch.context() as patch:
            patch.setenv("XDG_CONFIG_HOME", str(self.home))
            for name, value in env.items():
                patch.setenv(name, value)
            cli_support.settings.cache_clear()
            try:
                return self.runner.invoke(app, list(args), input=stdin)
            finally:
                cli_support.settings.cache_clear()

    def login(self, username: str, password: str = PASSWORD) -> Result:
        """`liaison login USERNAME --password-stdin`."""
        return self("login", username, "--password-stdin", stdin=f"{password}\n", LIAISON_LANG="en")

    @property
    def token_file(self) -> Path:
        """Where this shell user's token is kept."""
        return self.home / "liaison" / "token"


@pytest.fixture
def office(
    pg_url: str, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiaisonOffice]:
    """The tiny province with its second branch, member 1 attending at C1, and the board users."""
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("LIAISON_LANG", "en")
    monkeypatch.delenv("LIAISON_TOKEN", raising=False)
    monkeypatch.setattr(cli_support.console, "width", 200)
    office = LiaisonOffice(env=pg_env, clock=p.clock)
    p.build_province(office)
    second_branch(office)
    p.received_member(office, 1, name="Nguyễn Văn An")

    async def add_users() -> None:
        store = UserStore(pg_url, hasher=FAST)
        await store.setup()
        for name, (role, unit) in USERS.items():
            await store.add(name, PASSWORD, role, unit, must_change=name == "fresh")
        await store.close()

    asyncio.run(add_users())
    yield office
    office.close()


@pytest.fixture
def shell(office: LiaisonOffice, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Shell:
    """A shell user with an empty config folder."""
    return Shell(monkeypatch, tmp_path / "config")


def events(office: LiaisonOffice, kind: type[Any]) -> list[Any]:
    """The stored events of one class, in order."""
    found = []
    for record in office.recorder.select_notifications(start=None, limit=100_000):
        if record.topic.endswith(f":{kind.__name__}"):
            found.append(office.mapper.to_domain_event(record))
    return found


def test_a_command_without_login_is_refused_and_writes_nothing(
    office: LiaisonOffice, shell: Shell
) -> None:
    before = p.event_count(office)
    english = shell(*ASSESS)
    assert english.exit_code == 2, english.output
    assert "Not signed in" in english.output
    vietnamese = shell(*ASSESS, LIAISON_LANG="vi")
    assert vietnamese.exit_code == 2
    assert "Chưa đăng nhập" in vietnamese.output
    forged = shell(*ASSESS, LIAISON_TOKEN="made-up")
    assert forged.exit_code == 2
    assert "Not signed in" in forged.output
    for read in (["timeline", p.party_card(1)], ["audit"], ["inspect", "--unit", p.PROVINCE]):
        refused = shell(*read)
        assert refused.exit_code == 2, (read, refused.output)
        assert "Nguyễn" not in refused.output
    assert p.event_count(office) == before


def test_a_signed_in_user_acts_as_their_role_and_unit(office: LiaisonOffice, shell: Shell) -> None:
    signed_in = shell.login("secretary")
    assert signed_in.exit_code == 0, signed_in.output
    assert "secretary · Residence cell secretary · C1" in signed_in.output
    assert stat.S_IMODE(shell.token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(shell.token_file.parent.stat().st_mode) == 0o700
    [record] = events(office, SignedIn)
    assert record.actor == Actor(id="secretary", role=Role.CELL_SECRETARY, unit_id=p.CELL)
    assert record.method == "cli"
    assert shell("whoami", LIAISON_LANG="vi").output.strip() == (
        "secretary · Bí thư chi bộ nơi cư trú · C1"
    )
    assessed = shell(*ASSESS, "--date", "2026-11-20")
    assert assessed.exit_code == 0, assessed.output
    [event] = events(office, Assessed)
    assert event.actor == Actor(id="secretary", role=Role.CELL_SECRETARY, unit_id=p.CELL)
    timeline = shell("timeline", p.party_card(1))
    assert timeline.exit_code == 0, timeline.output
    assert "Nguyễn Văn An" in timeline.output


def test_a_user_of_another_subtree_is_refused_and_audited(
    office: LiaisonOffice, shell: Shell
) -> None:
    assert shell.login("secretary2").exit_code == 0
    before = p.event_count(office)
    refused = shell(*ASSESS, "--date", "2026-11-20")
    assert refused.exit_code == 2, refused.output
    assert "(unknown_member)" in refused.output  # another subtree's: as if there were none
    hidden = shell("timeline", p.party_card(1))
    assert hidden.exit_code == 2
    assert "Nguyễn" not in hidden.output
    trail = shell("audit", "--member", p.party_card(1))
    assert trail.exit_code == 2
    assert p.event_count(office) == before + 3  # the three refusals, nothing else
    assert events(office, Assessed) == []
    secretary2 = Actor(id="secretary2", role=Role.CELL_SECRETARY, unit_id="C2")
    member = office.member_by_card(p.party_card(1))
    # The trail keeps the real reason, and names only what the user asked about.
    assert [(r.actor, r.action, r.target, r.code) for r in events(office, PermissionRefused)] == [
        (secretary2, "Assess", str(member.open_liaison_id), "out_of_scope"),
        (secretary2, "read", str(member.member_id), "out_of_scope"),
        (secretary2, "read", str(member.member_id), "out_of_scope"),
    ]


def test_every_command_and_read_of_the_sibling_subtree_is_refused_and_audited(
    office: LiaisonOffice, shell: Shell, tmp_path: Path
) -> None:
    card, day = p.party_card(1), ("--date", "2026-11-20")
    (tmp_path / "members.csv").write_text("Name\n", encoding="utf-8")
    attempts = [
        [
            "register-member",
            "--card",
            "00000009",
            "--name",
            "A",
            "--birth",
            "1980-01-01",
            "--workplace",
            "W",
            *day,
        ],
        ["refer", card, "--commune", "X", *day],
        ["receive-at-commune", card, "--cell", "C1", *day],
        ["receive-at-cell", card, *day],
        ["record-meeting", "--cell", "C1", "--present", card, *day],
        ASSESS + list(day),
        ["confirm-assessment", card, "--year", "2026", *day],
        ["report-back", card, "--year", "2026", *day],
        ["close", card, "--reason", "died", *day],
        [
            "establish-unit",
            "--id",
            "C9",
            "--name",
            "C9",
            "--kind",
            "residence_cell",
            "--parent-id",
            "X",
            "--valid-from",
            "2000-01-01",
            *day,
        ],
        ["import", str(tmp_path / "members.csv")],
        ["deadlines", card],
        ["timeline", card],
        ["audit", "--member", card],
        ["audit", "--unit", p.PROVINCE],
        ["inspect", "--unit", p.CELL],
        ["export-evidence", "--unit", p.CELL, str(tmp_path / "evidence.json")],
        ["export", "statistics", p.CELL, str(tmp_path / "s.csv")],
        ["export", "list", p.CELL, "received_cell", str(tmp_path / "l.csv")],
    ]
    assert shell.login("secretary2").exit_code == 0
    before = p.event_count(office)
    for args in attempts:
        refused = shell(*args)
        assert refused.exit_code == 2, (args, refused.output)
        # A unit outside the subtree is out of scope; a record there is as if it did not exist.
        assert "(out_of_scope)" in refused.output or "(unknown_member)" in refused.output, (
            args,
            refused.output,
        )
        assert "Nguyễn" not in refused.output
    assert p.event_count(office) == before + len(attempts)
    assert len(events(office, PermissionRefused)) == len(attempts)
    assert not list(tmp_path.glob("*.json"))
    assert not list(tmp_path.glob("[sl].csv"))
    listed = shell("units")
    assert listed.exit_code == 0
    assert "C2" in listed.output
    assert "C1" not in listed.output


def test_a_user_with_a_one_time_password_cannot_log_in(office: LiaisonOffice, shell: Shell) -> None:
    refused = shell.login("fresh")
    assert refused.exit_code == 2, refused.output
    assert "Change your one-time password on the board first" in refused.output
    assert not shell.token_file.exists()
    assert [(f.username, f.reason) for f in events(office, SignInFailed)] == [
        ("fresh", "must_change")
    ]
    assert events(office, SignedIn) == []


def test_wrong_passwords_are_refused_recorded_and_rate_limited(
    office: LiaisonOffice, shell: Shell
) -> None:
    for _ in range(5):
        wrong = shell.login("secretary", "wrong")
        assert wrong.exit_code == 2
        assert "Wrong user name or password" in wrong.output
    limited = shell.login("secretary")
    assert limited.exit_code == 2
    assert "(too_many_attempts)" in limited.output
    assert not shell.token_file.exists()
    reasons = [f.reason for f in events(office, SignInFailed)]
    assert reasons == ["bad_credentials"] * 5 + ["rate_limited"]


def test_logout_ends_the_token(office: LiaisonOffice, shell: Shell, pg_url: str) -> None:
    assert shell.login("secretary").exit_code == 0
    token = shell.token_file.read_text()
    assert shell("whoami").exit_code == 0
    again = Shell(shell.monkeypatch, shell.home.parent / "elsewhere")
    assert again("whoami", LIAISON_TOKEN=token).exit_code == 0  # the token works from anywhere
    out = shell("logout")
    assert out.exit_code == 0
    assert "Signed out" in out.output
    assert not shell.token_file.exists()
    assert shell("whoami").exit_code == 2
    assert again("whoami", LIAISON_TOKEN=token).exit_code == 2

    async def session() -> object:
        store = UserStore(pg_url, hasher=FAST)
        try:
            return await store.session(token, "bearer")
        finally:
            await store.close()

    assert asyncio.run(session()) is None


def test_signing_in_again_ends_the_earlier_session(office: LiaisonOffice, shell: Shell) -> None:
    assert shell.login("secretary").exit_code == 0
    first = shell.token_file.read_text()
    prompted = shell("login", stdin=f"admin\n{PASSWORD}\n")  # name and password asked
    assert prompted.exit_code == 0, prompted.output
    assert shell("whoami").output.startswith("admin ·")
    assert shell("whoami", LIAISON_TOKEN=first).exit_code == 2


def test_maintenance_commands_leave_their_record(
    office: LiaisonOffice, shell: Shell, pg_env: dict[str, str]
) -> None:
    me = pwd.getpwuid(os.geteuid()).pw_name
    assert shell("rebuild", "audit").exit_code == 0
    projector = Projector(pg_env, all_models())
    try:
        projector.catch_up()  # the seal reaches the store's head, as the projector process does
        assert shell("verify", "--wait", "0").exit_code == 0
        assert shell("projections").exit_code == 0  # a status read: no record
        projector.catch_up()
    finally:
        projector.close()
    runs = [(r.operator, r.command, r.detail, r.units) for r in events(office, MaintenanceRun)]
    assert runs == [(me, "rebuild", "audit", (p.PROVINCE,)), (me, "verify", "", (p.PROVINCE,))]
    assert shell.login("admin").exit_code == 0
    trail = shell("audit", "--actor", me)
    assert trail.exit_code == 0, trail.output
    assert trail.output.count("Maintenance run") == 2  # LIAISON_LANG=en
    assert trail.output.count("Server operator") == 2
    assert shell.login("secretary").exit_code == 0
    assert "Maintenance run" not in shell("audit", "--actor", me).output  # not the cell's trail
