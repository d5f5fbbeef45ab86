"""Checkpoints of the seal: signed with the key kept outside the store, written as files and
recorded as events; checked by `liaison verify --checkpoints`; published daily by a schedule."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.office import LiaisonOffice
from domain.seal import SEAL_LEDGER_ID, SealLedger
from liaison_verify.checkpoint import Checkpoint, private_key, public_hex, public_key, sign
from liaison_verify.evidence import digest_of
from projections import reads, seal
from projections.evidence import Problem, mismatches
from projections.runner import Projector
from projections.seal import Break, Verdict
from workers.embedded import database_url
from workers.settings import Settings


class NoSealKey(Exception):
    """No seal key is configured where one is needed (the message is a catalogue's id)."""


class SealBroken(Exception):
    """The seal fails its verification: nothing is signed over it."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"seal broken at {verdict.broken}")
        self.verdict = verdict


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The seal's private key, from `LIAISON_SEAL_KEY_FILE` or `LIAISON_SEAL_KEY`."""
    if settings.seal_key_file is not None:
        return private_key(settings.seal_key_file.read_text(encoding="utf-8"))
    if settings.seal_key is not None:
        return private_key(settings.seal_key.get_secret_value())
    raise NoSealKey(
        "No seal key is set here: set LIAISON_SEAL_KEY_FILE (or LIAISON_SEAL_KEY) on the machine"
        " that signs checkpoints."
    )


def trusted_key(settings: Settings) -> str:
    """The public key (hex) checkpoints must carry: `LIAISON_SEAL_PUBLIC_KEY`, else the private
    key's own."""
    if settings.seal_public_key:
        return public_key(settings.seal_public_key)
    try:
        return public_hex(signing_key(settings))
    except NoSealKey:
        raise NoSealKey(
            "No seal public key is set here: set LIAISON_SEAL_PUBLIC_KEY to the key the"
            " checkpoints are signed with."
        ) from None


def folder(settings: Settings) -> Path:
    """Where checkpoint files are written."""
    return settings.checkpoint_dir or settings.data_dir / "checkpoints"


@dataclass(frozen=True)
class Published:
    """A checkpoint that was signed, written and recorded."""

    checkpoint: Checkpoint
    file: Path


def publish(
    settings: Settings,
    office: LiaisonOffice,
    projector: Projector,
    to: Path | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    evidence: dict[str, Any] | None = None,
) -> Published:
    """Verify the seal from the genesis, sign its head, write the file, record the event.

    With `evidence` (an exported file), sign the seal at the file's position and the file's
    digest instead, once the file is found to match the store. A broken seal is never signed
    (SealBroken), nor a file that differs (EvidenceDiffers): a checkpoint vouches for what was
    verified."""
    key = signing_key(settings)
    with projector.transaction() as cur:
        verdict = seal.verify(cur)
    if not verdict.ok:
        raise SealBroken(verdict)
    if evidence is None:
        checkpoint = sign(key, verdict.head_position, verdict.head, clock())
    else:
        differs = asyncio.run(_evidence_problems(database_url(settings), evidence))
        if differs:
            raise EvidenceDiffers(differs)
        position, link = int(evidence["seal"]["position"]), str(evidence["seal"]["link"])
        checkpoint = sign(key, position, link, clock(), evidence=digest_of(evidence))
    where = to or folder(settings)
    where.mkdir(parents=True, exist_ok=True)
    stamp = checkpoint.published_at.replace(":", "").replace("-", "")[:15]
    file = where / f"checkpoint-{checkpoint.position:012d}-{stamp}.json"
    # Whole or not at all: the folder is read by the verifier and copied off by other jobs.
    partial = file.with_name(f".{file.name}.partial")
    partial.write_text(checkpoint.to_json(), encoding="utf-8")
    partial.replace(file)
    ledger: Any = _ledger(office)
    ledger.checkpoint(
        checkpoint.position,
        checkpoint.link,
        datetime.fromisoformat(checkpoint.published_at),
        checkpoint.key,
        checkpoint.signature,
    )
    office.save(ledger)
    return Published(checkpoint, file)


class EvidenceDiffers(Exception):
    """An evidence file that does not match the store: nothing is signed for it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("the evidence file differs from the store")
        self.problems = problems


async def _evidence_problems(url: str, data: dict[str, Any]) -> list[Problem]:
    if data.get("digest") != digest_of(data):
        return [("the evidence file was changed after it was exported", {})]
    conn = await reads.connect(url)
    try:
        return await mismatches(conn, data)
    finally:
        await conn.close()


def _ledger(office: LiaisonOffice) -> SealLedger:
    try:
        found: SealLedger = office.repository.get(SEAL_LEDGER_ID)
    except Exception:  # AggregateNotFoundError: the first entry opens the ledger
        return SealLedger.start()
    return found


@dataclass(frozen=True)
class CheckpointProblem:
    """A checkpoint the seal fails: where, and which file."""

    position: int
    file: Path
    published_at: str
    problem: str
    """`signature` (not signed by the trusted key), `unreadable`, or `differs` (the seal)."""


def check(cur: Any, folder_: Path, trusted: str) -> tuple[int, list[CheckpointProblem]]:
    """Every checkpoint file in the folder against the seal: the count checked and the problems,
    the one at the lowest position first."""
    problems: list[CheckpointProblem] = []
    files = sorted(folder_.glob("*.json"))
    for file in files:
        try:
            checkpoint = Checkpoint.from_json(file.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError):
            problems.append(CheckpointProblem(0, file, "", "unreadable"))
            continue
        if not checkpoint.signed_by(trusted):
            problems.append(
                CheckpointProblem(checkpoint.position, file, checkpoint.published_at, "signature")
            )
        elif seal.link_at(cur, checkpoint.position) != checkpoint.link:
            problems.append(
                CheckpointProblem(checkpoint.position, file, checkpoint.published_at, "differs")
            )
    return len(files), sorted(problems, key=lambda p: (p.position, str(p.file)))


def as_break(problem: CheckpointProblem) -> Break:
    """A checkpoint the seal differs from, as the seal's break at that position."""
    return Break(problem.position, "checkpoint")
