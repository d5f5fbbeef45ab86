"""Every command declared once: its model, handler, permission, target and success message.

The HTTP endpoints, the `liaison` CLI subcommands and the board's form bindings are generated from
these declarations; the application executes a command by looking up its declaration here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

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


def uses() -> tuple[Use[Any], ...]:
    """Every use case, from the modules named for what the board does."""
    from application import (
        administration,
        assessment,
        escalations,
        exemptions,
        meetings,
        members,
        receipt,
        referral,
        requests,
    )

    return (
        *administration.USES,
        *members.USES,
        *exemptions.USES,
        *referral.USES,
        *receipt.USES,
        *meetings.USES,
        *assessment.USES,
        *requests.USES,
        *escalations.USES,
    )


class Registry:
    """The use cases by command model and by slug."""

    def __init__(self, declared: Sequence[Use[Any]]) -> None:
        self.all = tuple(declared)
        self._by_model = {u.model: u for u in self.all}
        self._by_slug = {u.slug: u for u in self.all}
        if len(self._by_model) != len(self.all) or len(self._by_slug) != len(self.all):
            raise ValueError("a command is declared twice")

    def of(self, command: cmd.Command) -> Use[Any]:
        """The declaration of a command's model."""
        return self._by_model[type(command)]

    def by_slug(self, slug: str) -> Use[Any]:
        """The declaration with this name."""
        return self._by_slug[slug]

    def on(self, surface: str) -> tuple[Use[Any], ...]:
        """The use cases a person may send from this surface."""
        return tuple(u for u in self.all if surface in u.surfaces)


REGISTRY = Registry(uses())
