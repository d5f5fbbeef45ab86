"""Every saved history of the workflows replays on today's code, and none was changed.

The histories are the guard that today's code still replays what earlier code recorded: they are
added, never re-recorded (`python -m tests.replay.record`), and `histories/SHA256SUMS` pins each.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

import workflows.liaison
from tests.replay.record import HISTORIES, patches_taken, read_manifest
from workflows.liaison import LiaisonWorkflow
from workflows.referral import MemberReferralWorkflow

FILES = sorted(HISTORIES.glob("*.json"))
MANIFEST = read_manifest(HISTORIES)
PATCHES = sorted(
    value
    for value in vars(workflows.liaison).values()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}-[a-z0-9-]+", value)
)
"""The liaison workflow's patch ids (its module's constants that look like one)."""


def test_there_are_histories() -> None:
    assert len(FILES) >= 2


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await Replayer(workflows=[LiaisonWorkflow, MemberReferralWorkflow]).replay_workflow(history)


@pytest.mark.parametrize("patch", PATCHES)
def test_a_saved_history_takes_each_patch_in_force(patch: str) -> None:
    """Recorded after each change (`python -m tests.replay.record`): the new path is guarded too."""
    assert any(
        patch in patches_taken(WorkflowHistory.from_json(p.stem, p.read_text())) for p in FILES
    )


def test_every_history_is_in_the_manifest() -> None:
    """A new recording adds its lines (the recorder appends them); an unlisted file is a mistake."""
    assert sorted(p.name for p in FILES) == sorted(MANIFEST)


@pytest.mark.parametrize(
    ("name", "digest"), [pytest.param(n, d, id=n) for n, d in sorted(MANIFEST.items())]
)
def test_saved_history_is_unchanged(name: str, digest: str) -> None:
    """A saved history is never overwritten or re-recorded: record a new one instead."""
    path = HISTORIES / name
    # Only the retirement of a patch's old path removes the histories that need it, with their
    # lines, in the commit that retires it (see workflows/liaison.py).
    assert path.exists(), f"{name} disappeared"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{name} was changed"
