"""`liaison demo`, `template` and `import` as a board runs them, in a fresh interpreter."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import run_liaison
from workers import walkthrough


def liaison(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `liaison ARGS` with the scale commands registered."""
    return run_liaison(*args, env=env, stdin=stdin, first="from workers import cli_scale; ")


def test_demo_template_and_import_through_the_cli(pg_url: str, tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": pg_url,
        "LIAISON_DATA_DIR": str(tmp_path),
        "LIAISON_LANG": "en",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    made = liaison("demo", "--members", "30", "--until", "2025-12-31", env=env)
    assert made.returncode == 0, made.stderr
    assert "30/30 members valid" in made.stdout
    # The templates' members belong to the sample province every store records at its first
    # start (`liaison up`, or `liaison sample`), not to the demo's.
    assert liaison("sample", env=env).returncode == 0
    assert liaison("template", str(tmp_path / "t"), "--lang", "vi", env=env).returncode == 0
    members, history = tmp_path / "t" / "members.vi.csv", tmp_path / "t" / "history.vi.csv"
    anonymous = liaison("import", str(members), str(history), env=env)
    assert anonymous.returncode == 2
    assert "liaison login" in anonymous.stdout
    role = ("--role", "supervisor", "--unit", walkthrough.PROVINCE, "--password", "correct horse")
    assert liaison("users", "add", "importer", *role, env=env).returncode == 0
    login = liaison("login", "importer", "--password-stdin", env=env, stdin="correct horse")
    assert login.returncode == 0, login.stdout + login.stderr
    dry = liaison("import", str(members), str(history), "--dry-run", env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "would write" in dry.stdout
    real = liaison("import", str(members), str(history), "--lang", "vi", env=env)
    assert real.returncode == 0, real.stdout
    assert "đã ghi" in real.stdout
    again = liaison("import", str(members), str(history), env=env)
    assert "wrote 0 events" in again.stdout
