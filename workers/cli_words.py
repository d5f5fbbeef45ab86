"""The CLI's words in `LIAISON_LANG`: messages and labels from the gettext catalogues, dates,
numbers, units by name and members by name, as the board shows them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from api import i18n
from domain.errors import Language, UnknownUnit
from domain.organisation import OrganisationTree
from workers.cli_support import settings


def language() -> Language:
    """The CLI's language (`LIAISON_LANG`, Vietnamese by default)."""
    return settings().language


def t(message: str, **params: Any) -> str:
    """The message in the CLI's language, its `%(name)s` placeholders filled from `params`."""
    text = i18n.gettext(message, language())
    return text % params if params else text


def tn(singular: str, plural: str, n: int, **params: Any) -> str:
    """The singular or plural message for `n`, filled from `params` (and `num`: n, grouped)."""
    text = i18n.translations(language()).ngettext(singular, plural, n)
    return str(text) % {"num": number(n), **params}


def lab(context: str, value: object) -> str:
    """The label of an enum value (`context`: role, stage, grade, event…)."""
    return i18n.label(context, str(value), language())


def day(value: date | datetime | None) -> str:
    """A date (or a recorded time) as people of the language write it."""
    if isinstance(value, datetime):
        return i18n.format_moment(value, language())
    return i18n.format_date(value, language())


def number(value: float | None, decimals: int = 0) -> str:
    """A number grouped as the language writes it ("" for none)."""
    return "" if value is None else i18n.format_number(value, language(), decimals)


def actor(actor_id: str | None) -> str:
    """Who acted: the user's name, or the label of the automatic workflow."""
    return i18n.actor_name(actor_id, language())


def unit(tree: OrganisationTree, unit_id: str | None) -> str:
    """A unit as people know it: its name, then its code (the code alone when it is the name)."""
    if not unit_id:
        return ""
    try:
        name = tree.unit(unit_id).name
    except UnknownUnit:
        return unit_id
    return unit_id if name == unit_id else f"{name} ({unit_id})"


def person(name: str, card: str) -> str:
    """A member by name, their party card second."""
    return t("%(name)s (card %(card)s)", name=name, card=card)
