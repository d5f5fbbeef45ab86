"""`liaison seal`: the seal's key and its checkpoints (signed heads kept outside the store)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from liaison_verify.checkpoint import BadKey, new_key
from projections import evidence
from workers.bootstrap import build_projector
from workers.checkpoints import (
    CheckpointProblem,
    EvidenceDiffers,
    NoSealKey,
    SealBroken,
    publish,
)
from workers.cli_support import app, console, office, operator_ran, settings
from workers.cli_words import number, t

T = TypeVar("T")

seal_app = typer.Typer(help="The seal's key and its signed checkpoints.", no_args_is_help=True)
app.add_typer(seal_app, name="seal")

CHECKPOINT_PROBLEMS = {
    "differs": evidence.SEAL_PROBLEMS["checkpoint"],
    "signature": "the checkpoint %(file)s is not signed by the seal key",
    "unreadable": "the checkpoint %(file)s cannot be read",
}


def run_seal(call: Callable[[], T]) -> T:
    """Run a call that needs the seal's key; a missing or unreadable key exits 2, said plainly."""
    try:
        return call()
    except NoSealKey as missing:
        console.print(f"[red]✗ {t(str(missing))}[/]")
    except (BadKey, OSError) as bad:
        console.print(f"[red]✗ {t('The seal key cannot be read: %(why)s', why=str(bad))}[/]")
    raise typer.Exit(2)


def checkpoint_problems(found: list[CheckpointProblem]) -> list[evidence.Problem]:
    """Checkpoints the seal fails, as lines of `liaison verify`'s report."""
    return [
        (
            CHECKPOINT_PROBLEMS[p.problem],
            {"position": p.position, "file": p.file.name, "published": p.published_at},
        )
        for p in found
    ]


@seal_app.command("keygen")
def keygen(
    file: Annotated[Path, typer.Argument(help="Where to write the private key (a new file)")],
) -> None:
    """Make a new Ed25519 seal key: the private key in FILE (yours alone), the public key shown."""
    try:
        public = new_key(file)
    except FileExistsError:
        console.print(f"[red]✗ {t('%(file)s already exists.', file=str(file))}[/]")
        raise typer.Exit(2) from None
    console.print(t("Seal key written to %(file)s. Its public key:", file=str(file)))
    console.print(public)


@seal_app.command("publish")
def publish_checkpoint(
    to: Annotated[Path | None, typer.Option("--to", help="Folder for the checkpoint file")] = None,
    evidence_file: Annotated[
        Path | None,
        typer.Option("--evidence", help="Sign for this exported file, once it matches the store"),
    ] = None,
) -> None:
    """Verify the seal, sign its head with the seal key, write the checkpoint file and record it;
    with --evidence, sign the seal at the file's position and the file itself."""
    operator_ran("seal publish", " ".join(str(p) for p in (to, evidence_file) if p))
    data = json.loads(evidence_file.read_text(encoding="utf-8")) if evidence_file else None
    projector = build_projector(settings())
    try:
        done = run_seal(lambda: publish(settings(), office(), projector, to, evidence=data))
    except (SealBroken, EvidenceDiffers) as refused:
        found = (
            evidence.seal_problems(refused.verdict)
            if isinstance(refused, SealBroken)
            else refused.problems
        )
        for template, params in found:
            console.print(f"[red]✗ {t(template, **params)}[/]")
        console.print(f"[red]✗ {t('Nothing was signed.')}[/]")
        raise typer.Exit(1) from None
    finally:
        projector.close()
    console.print(
        "[green]✓[/] "
        + t(
            "Checkpoint at position %(position)s signed: %(file)s",
            position=number(done.checkpoint.position), file=str(done.file),
        )
    )  # fmt: skip
