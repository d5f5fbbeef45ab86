"""Evidence files: what an inspection exported, with the digest of its content and the seal's
position it was fixed to; checked here against a signed checkpoint, without the store."""

from __future__ import annotations

from typing import Any

from liaison_verify.checkpoint import Checkpoint, digest

FORMAT = "liaison-evidence/1"


def digest_of(evidence: dict[str, Any]) -> str:
    """The digest of an evidence file's content (everything but the digest itself)."""
    return digest({k: v for k, v in evidence.items() if k != "digest"})


def with_digest(evidence: dict[str, Any]) -> dict[str, Any]:
    """The evidence with its digest added (what an export writes)."""
    return {**evidence, "digest": digest_of(evidence)}


def problems(
    evidence: dict[str, Any], checkpoint: Checkpoint | None, key: str | None
) -> list[tuple[str, dict[str, Any]]]:
    """What fails: the file's format or digest; the checkpoint's signature by the trusted key;
    that the checkpoint vouches for this file (its digest) or its seal position and link."""
    found: list[tuple[str, dict[str, Any]]] = []
    if evidence.get("format") != FORMAT:
        return [("not_evidence", {"format": FORMAT})]
    if evidence.get("digest") != digest_of(evidence):
        found.append(("digest", {}))
    if checkpoint is None:
        return found
    if key is None or not checkpoint.signed_by(key):
        found.append(("signature", {}))
    seal = evidence.get("seal") or {}
    if checkpoint.evidence is not None:
        if checkpoint.evidence != evidence.get("digest"):
            found.append(("other_file", {}))
    elif (seal.get("position"), seal.get("link")) != (checkpoint.position, checkpoint.link):
        found.append(("other_head", {"position": checkpoint.position}))
    return found
