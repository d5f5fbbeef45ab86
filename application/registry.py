"""Every command declared once: its model, handler, permission, target and success message.

The HTTP endpoints, the `liaison` CLI subcommands and the board's form bindings are generated from
these declarations; the application executes a command by looking up its declaration here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from application import (
    accounts,
    administration,
    assessment,
    escalations,
    exemptions,
    meetings,
    members,
    receipt,
    referral,
    requests,
    sealing,
)
from application.use import API, BOARD, CLI, PEOPLE, Use, slug_of
from domain import commands as cmd


def uses() -> tuple[Use[Any], ...]:
    """Every use case, from the modules named for what the board does."""
    return (
        *administration.USES,
        *accounts.USES,
        *members.USES,
        *exemptions.USES,
        *referral.USES,
        *receipt.USES,
        *meetings.USES,
        *assessment.USES,
        *requests.USES,
        *escalations.USES,
        *sealing.USES,
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

__all__ = ["API", "BOARD", "CLI", "PEOPLE", "REGISTRY", "Registry", "Use", "slug_of"]
