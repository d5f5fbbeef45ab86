"""Every command is declared once, with a permission, a target and words in both languages."""

from __future__ import annotations

from api.i18n import gettext
from application.registry import API, BOARD, CLI, REGISTRY
from domain import commands as cmd
from domain import escalation


def commands() -> set[type[cmd.Command]]:
    """Every command model the domain defines."""
    found = set()
    for module in (cmd, escalation):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, cmd.Command)
                and value is not cmd.Command
            ):
                found.add(value)
    return found


def test_every_command_has_exactly_one_use_case() -> None:
    assert {use.model for use in REGISTRY.all} == commands()
    assert len({use.model for use in REGISTRY.all}) == len(REGISTRY.all)


def test_each_name_is_the_same_on_every_surface() -> None:
    slugs = [use.slug for use in REGISTRY.all]
    assert len(set(slugs)) == len(slugs)
    for use in REGISTRY.on(API):
        assert {API, CLI, BOARD} <= use.surfaces, use.slug  # a person's command, everywhere


def test_what_each_says_exists_in_both_languages() -> None:
    for use in REGISTRY.all:
        for message in (use.done, use.summary):
            if message:
                assert gettext(message, "vi") != message, message
                assert gettext(message, "en") == message
