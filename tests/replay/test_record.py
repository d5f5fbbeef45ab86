"""The recorder adds new history files and manifest lines; it never replaces a saved history."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from tests.replay.record import HISTORIES, MANIFEST, read_manifest, save, write_new

DAY = date(2026, 12, 2)


def a_run() -> WorkflowHistory:
    path = HISTORIES / "exempt_on_demand_cycles.2026-11-22.1.json"
    return WorkflowHistory.from_json(path.stem, path.read_text())


def test_a_recording_goes_after_the_days_files_and_appends_its_lines(tmp_path: Path) -> None:
    first = tmp_path / "demo.2026-12-02.0.json"
    shutil.copy(HISTORIES / "exempt_on_demand_cycles.2026-11-22.0.json", first)
    kept = first.read_bytes()
    (tmp_path / MANIFEST).write_text(f"{hashlib.sha256(kept).hexdigest()}  {first.name}\n")

    save(tmp_path, "demo", DAY, [a_run(), a_run()])
    lines = save(tmp_path, "demo", DAY, [a_run()])

    assert first.read_bytes() == kept
    assert sorted(p.name for p in tmp_path.glob("*.json")) == [
        f"demo.2026-12-02.{n}.json" for n in range(4)
    ]
    manifest = read_manifest(tmp_path)
    assert sorted(manifest) == sorted(p.name for p in tmp_path.glob("*.json"))
    for name, digest in manifest.items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest
    assert lines == [(tmp_path / MANIFEST).read_text().splitlines(keepends=True)[-1]]


def test_an_existing_file_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "demo.2026-12-02.0.json"
    path.write_bytes(b"saved")
    with pytest.raises(FileExistsError):
        write_new(path, b"re-recorded")
    assert path.read_bytes() == b"saved"
