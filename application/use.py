"""One use case as the registry declares it: model, handler, permission, target, message."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar, get_type_hints

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


def summary_of(handler: Callable[..., object]) -> str:
    """The first paragraph of the handler's docstring, on one line."""
    return " ".join((inspect.getdoc(handler) or "").split("\n\n")[0].split())


@dataclass(frozen=True)
class Use(Generic[C]):
    """One use case: the handler (its command model is the type of its second parameter), who
    may ask, on what, what is decided, what is said."""

    handler: Callable[[Work, C], Decision]
    action: Action
    scopes: Callable[[Work, C], Iterable[Scope]]
    """The units the command touches, found as the store holds them (each must be allowed)."""
    done: str
    """What the person is told when it is recorded (an English message id of the catalogue)."""
    surfaces: frozenset[str] = PEOPLE
    slug: str = field(default="")
    model: type[C] = field(init=False)
    summary: str = field(init=False)
    """One line for the API docs and the CLI's help (English; the board has its own words): the
    first paragraph of the handler's docstring, for a command a person may send."""

    def __post_init__(self) -> None:
        command = list(inspect.signature(self.handler).parameters)[1]
        object.__setattr__(self, "model", get_type_hints(self.handler)[command])
        object.__setattr__(self, "summary", summary_of(self.handler) if self.surfaces else "")
        if not self.slug:
            object.__setattr__(self, "slug", slug_of(self.model))
