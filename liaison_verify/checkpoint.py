"""Checkpoints: the seal's head at a position, signed (Ed25519) by a key kept outside the store."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "liaison-checkpoint/1"


class BadKey(ValueError):
    """A key that is not an Ed25519 key in a form this module reads."""


@dataclass(frozen=True)
class Checkpoint:
    """The seal's head (position, link) when it was published, the public key and signature."""

    position: int
    link: str
    published_at: str
    key: str
    signature: str
    evidence: str | None = None
    """The digest of an evidence file checked against the store at this position, when the
    checkpoint was signed for one (`liaison seal publish --evidence FILE`)."""
    format: str = FORMAT

    def signed_bytes(self) -> bytes:
        """What the signature covers: every field but the signature, as canonical JSON."""
        return canonical({k: v for k, v in asdict(self).items() if k != "signature"})

    def to_json(self) -> str:
        """The checkpoint file's text."""
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Read a checkpoint file's text; refuse one of another format."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        return cls(
            position=int(data["position"]),
            link=str(data["link"]),
            published_at=str(data["published_at"]),
            key=str(data["key"]),
            signature=str(data["signature"]),
            evidence=str(data["evidence"]) if data.get("evidence") else None,
        )

    def signed_by(self, public_key: str) -> bool:
        """True when the signature is valid and made by `public_key` (hex), the key one trusts.

        The key written in the file is only a label: a forger would write their own there."""
        if public_key.lower() != self.key.lower():
            return False
        try:
            verifier = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
            verifier.verify(bytes.fromhex(self.signature), self.signed_bytes())
        except (InvalidSignature, ValueError):
            return False
        return True


def canonical(data: Any) -> bytes:
    """JSON with sorted keys and no spaces: the same bytes wherever it is computed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def digest(data: Any) -> str:
    """sha256 (hex) of the canonical JSON of `data`."""
    return hashlib.sha256(canonical(data)).hexdigest()


def sign(
    key: Ed25519PrivateKey,
    position: int,
    link: str,
    published_at: datetime,
    evidence: str | None = None,
) -> Checkpoint:
    """A checkpoint of the seal at a position (and of an evidence file's digest), signed."""
    unsigned = Checkpoint(position, link, published_at.isoformat(), public_hex(key), "", evidence)
    signature = key.sign(unsigned.signed_bytes()).hex()
    return Checkpoint(position, link, unsigned.published_at, unsigned.key, signature, evidence)


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw public key (32 bytes) as hex: what people compare and pin."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def private_key(text: str) -> Ed25519PrivateKey:
    """A private key from PEM (PKCS #8, unencrypted) or 64 hex characters (the raw 32 bytes)."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text))
    except (ValueError, TypeError) as error:
        raise BadKey(str(error)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadKey("not an Ed25519 key")
    return key


def public_key(text: str) -> str:
    """A public key (hex) from 64 hex characters or a PEM public key file's text."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise BadKey("not an Ed25519 key")
            return public_hex(key)
        raw = Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
        return public_hex(raw)
    except ValueError as error:
        raise BadKey(str(error)) from None


def new_key(path: Path) -> str:
    """Write a new private key (PEM, readable by its owner only) and return its public key."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.touch(mode=0o600, exist_ok=False)
    path.write_bytes(pem)
    return public_hex(key)
