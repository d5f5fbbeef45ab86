"""An exported evidence file and a checkpoint signed for it, checked by the standalone verifier in
a process that cannot import any database library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.office import LiaisonOffice
from domain.roles import Role
from projections.catalog import all_models
from projections.runner import Projector
from tests.integration import province as pv
from tests.integration.test_seal_tampering import sign_in, store  # noqa: F401
from workers import cli_support
from workers.cli import app

BLOCKED = (
    "psycopg", "asyncpg", "eventsourcing", "temporalio", "pydantic", "fastapi",
    "domain", "application", "projections", "workers", "api",
)  # fmt: skip


def standalone(*args: str | Path, language: str = "en") -> subprocess.CompletedProcess[str]:
    """`python -m liaison_verify ARGS` with every database library and Liaison's own code
    unimportable, and no database settings in its environment."""
    blocker = (
        "import runpy, sys\n"
        f"for name in {BLOCKED!r}: sys.modules[name] = None\n"
        "sys.argv = ['liaison_verify', *sys.argv[1:]]\n"
        "runpy.run_module('liaison_verify', run_name='__main__', alter_sys=True)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "PG", "LIAISON"))}
    env["LIAISON_LANG"] = language
    return subprocess.run(
        [sys.executable, "-c", blocker, *map(str, args)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip


def test_an_exported_file_and_its_checkpoint_verify_without_the_store(
    store: LiaisonOffice,  # noqa: F811
    pg_url: str,
    pg_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in(pg_url, "inspector", Role.INSPECTOR, pv.PROVINCE)
    everything = Projector(pg_env, all_models())
    everything.catch_up()
    everything.close()
    exported = tmp_path / "evidence.json"
    done = CliRunner().invoke(
        app, ["export-evidence", "--unit", pv.PROVINCE, "--as-of", "2026-11-22", str(exported)]
    )
    assert done.exit_code == 0, done.output
    made = CliRunner().invoke(app, ["seal", "keygen", str(tmp_path / "seal.key")])
    public = made.output.strip().splitlines()[-1]
    monkeypatch.setenv("LIAISON_SEAL_KEY_FILE", str(tmp_path / "seal.key"))
    cli_support.settings.cache_clear()
    folder = tmp_path / "checkpoints"
    published = CliRunner().invoke(
        app, ["seal", "publish", "--evidence", str(exported), "--to", str(folder)]
    )
    assert published.exit_code == 0, published.output
    [checkpoint] = folder.glob("*.json")
    assert (
        json.loads(checkpoint.read_text())["evidence"] == json.loads(exported.read_text())["digest"]
    )

    ok = standalone(exported, "--checkpoint", checkpoint, "--key", public)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "The evidence file is intact" in ok.stdout
    vi = standalone(exported, "--checkpoint", checkpoint, "--key", public, language="vi")
    assert "Tệp chứng cứ còn nguyên vẹn" in vi.stdout

    other = CliRunner().invoke(app, ["seal", "keygen", str(tmp_path / "other.key")])
    forged_key = other.output.strip().splitlines()[-1]
    wrong = standalone(exported, "--checkpoint", checkpoint, "--key", forged_key)
    assert wrong.returncode == 1
    assert "not signed by the public key given" in wrong.stdout

    data = json.loads(exported.read_text())
    data["dashboard"]["current"]["received_cell"] = 999
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data, ensure_ascii=False))
    caught = standalone(edited, "--checkpoint", checkpoint, "--key", public)
    assert caught.returncode == 1
    assert "changed after it was exported" in caught.stdout

    # A file that differs from the store is never signed for.
    refused = CliRunner().invoke(
        app, ["seal", "publish", "--evidence", str(edited), "--to", str(tmp_path / "none")]
    )
    assert refused.exit_code == 1, refused.output
    assert "Nothing was signed." in refused.output
