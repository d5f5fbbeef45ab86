"""History written by the bulk import: its events name an actor marked as an import."""

from __future__ import annotations

from typing import Any

from domain.roles import Actor

IMPORTED_BY = "import:"
"""Prefix of the actor id on every event the bulk path writes (a board's past, not a command)."""


def as_importer(actor: Actor) -> Actor:
    """The same person, role and unit, marked as the import."""
    if actor.id.startswith(IMPORTED_BY):
        return actor
    return actor.model_copy(update={"id": f"{IMPORTED_BY}{actor.id}"})


def imported(event: Any) -> bool:
    """True for an event the bulk import wrote (not signalled: onboarding starts its workflow)."""
    actor = getattr(event, "actor", None)
    return isinstance(actor, Actor) and actor.id.startswith(IMPORTED_BY)
