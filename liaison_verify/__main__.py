"""`python -m liaison_verify EVIDENCE --checkpoint FILE --key PUBLIC_KEY`: check what was handed.

Exit 0 when everything holds, 1 when something fails, 2 when a file or key cannot be read.
The language is LIAISON_LANG (vi, the default, or en)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from liaison_verify.checkpoint import BadKey, Checkpoint, public_key
from liaison_verify.evidence import problems
from liaison_verify.words import say


def _key(value: str | None) -> str | None:
    if value is None:
        return None
    path = Path(value)
    return public_key(path.read_text(encoding="utf-8") if path.is_file() else value)


def main(argv: list[str] | None = None) -> int:
    """Check an evidence file (and a checkpoint, with the public key one trusts)."""
    language = os.environ.get("LIAISON_LANG", "vi")
    parser = argparse.ArgumentParser(prog="python -m liaison_verify", description=__doc__)
    parser.add_argument("evidence", type=Path, help="the evidence file (JSON)")
    parser.add_argument("--checkpoint", type=Path, help="a checkpoint file (JSON)")
    parser.add_argument("--key", help="the seal's public key: 64 hex characters or a PEM file")
    args = parser.parse_args(argv)
    try:
        evidence: Any = json.loads(args.evidence.read_text(encoding="utf-8"))
        checkpoint = (
            Checkpoint.from_json(args.checkpoint.read_text(encoding="utf-8"))
            if args.checkpoint
            else None
        )
        key = _key(args.key)
    except (OSError, ValueError, KeyError, BadKey) as error:
        print(say(language, "unreadable", why=str(error)), file=sys.stderr)
        return 2
    found = problems(evidence if isinstance(evidence, dict) else {}, checkpoint, key)
    for code, params in found:
        print("✗ " + say(language, code, **params))
    if found:
        return 1
    print("✓ " + say(language, "intact", position=evidence["seal"]["position"]))
    if checkpoint is not None:
        print("✓ " + say(language, "vouched", published=checkpoint.published_at))
    return 0


if __name__ == "__main__":
    sys.exit(main())
