"""One use case as the registry declares it: model, handler, permission, target, message."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from application.work import Decision, Scope, Work
from domain import commands as cmd
from domain.roles import Action

C = TypeVar("C", bound=cmd.Command)

API, CLI, BOARD = "api", "cli", "board"
PEOPLE = frozenset({API, CLI, BOARD})
"""Where a person may send the command from (the workflow's own commands have no surface)."""


def slug_of(model: type[cmd.Command]) -> str:
    """The command's name on every surface: `RegisterMember` → `register-member`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", model.__name__).lower()


@dataclass(frozen=True)
class Use(Generic[C]):
    """One use case: the command model, who may ask, on what, what is decided, what is said."""

    model: type[C]
    handler: Callable[[Work, C], Decision]
    action: Action
    scopes: Callable[[Work, C], Iterable[Scope]]
    """The units the command touches, found as the store holds them (each must be allowed)."""
    done: str
    """What the person is told when it is recorded (an English message id of the catalogue)."""
    surfaces: frozenset[str] = PEOPLE
    summary: str = ""
    """One line for the API docs and the CLI's help (English; the board has its own words)."""
    slug: str = field(default="")

    def __post_init__(self) -> None:
        if not self.slug:
            object.__setattr__(self, "slug", slug_of(self.model))
