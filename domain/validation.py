"""pydantic's validation errors as refusals people read: the field by its label, the rule in words.

pydantic's own messages ("Input should be 'in_scope', …") name values and types the way a
programmer does, in English only; each error type maps to a catalogue message instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic_core import ErrorDetails

from domain.errors import Malformed
from domain.messages import Label, Message, gettext_noop
from domain.text import UnsafeText

FIELD = "field"
"""The catalogue context of field names (`Label(FIELD, "birth_date")`)."""


class InvalidValue(ValueError):
    """A validator's refusal of one value, worded for people (its template may name `{field}`)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.template)  # its `{field}` is filled in by `explained`
        self.message = message


_BY_TYPE: dict[str, str] = {
    "missing": gettext_noop("{field} is required."),
    "extra_forbidden": gettext_noop("{field} is not a field of this command."),
    "string_too_long": gettext_noop("{field} takes at most {most} characters."),
    "string_pattern_mismatch": gettext_noop("{field} is not written in the expected form."),
    "too_short": gettext_noop("{field} needs at least {least} entries."),
    "too_long": gettext_noop("{field} takes at most {most} entries."),
    "uuid_parsing": gettext_noop("{field} is not a valid identifier."),
    "uuid_type": gettext_noop("{field} is not a valid identifier."),
    "uuid_version": gettext_noop("{field} is not a valid identifier."),
    "date_parsing": gettext_noop("{field} is not a valid date."),
    "date_type": gettext_noop("{field} is not a valid date."),
    "date_from_datetime_parsing": gettext_noop("{field} is not a valid date."),
    "date_from_datetime_inexact": gettext_noop("{field} is not a valid date."),
    "int_parsing": gettext_noop("{field} must be a whole number."),
    "int_type": gettext_noop("{field} must be a whole number."),
    "int_from_float": gettext_noop("{field} must be a whole number."),
    "bool_parsing": gettext_noop("{field} must be yes or no."),
    "bool_type": gettext_noop("{field} must be yes or no."),
    "literal_error": gettext_noop("{field} is not one of the allowed values."),
    "enum": gettext_noop("{field} is not one of the allowed values."),
    "json_invalid": gettext_noop("The request is not valid JSON."),
}
_OTHERWISE = gettext_noop("{field} is not valid.")

_BOUNDS: dict[tuple[str, bool], str] = {
    ("greater_than_equal", True): gettext_noop("{field} cannot be before {earlier}."),
    ("greater_than", True): gettext_noop("{field} must be after {earlier}."),
    ("less_than_equal", True): gettext_noop("{field} cannot be after {day}."),
    ("less_than", True): gettext_noop("{field} must be before {day}."),
    ("greater_than_equal", False): gettext_noop("{field} must be at least {least}."),
    ("greater_than", False): gettext_noop("{field} must be more than {least}."),
    ("less_than_equal", False): gettext_noop("{field} must be at most {most}."),
    ("less_than", False): gettext_noop("{field} must be less than {most}."),
}

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_WHERE = frozenset({"body", "query", "path", "header", "cookie"})


def field_of(loc: Sequence[int | str]) -> str:
    """The field an error concerns: the innermost name in its location ("" for the whole)."""
    names = [p for p in loc if isinstance(p, str) and p not in _WHERE and _NAME.fullmatch(p)]
    return names[-1] if names else ""


def _limit(value: object) -> date | int | None:
    """A bound of a rule as pydantic gives it (a date may come as its ISO text)."""
    if value is None or isinstance(value, date | int | float):
        return int(value) if isinstance(value, int | float) else value
    text = str(value)
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return int(float(text))
    except ValueError:
        return None


def explained(error: ErrorDetails) -> Message:
    """One pydantic error as a catalogue message naming the field by its label."""
    field = Label(FIELD, field_of(error["loc"]) or "request")
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    cause = ctx.get("error")
    if isinstance(cause, UnsafeText):
        return Message(
            "{field} holds a character that is not allowed ({character}).",
            field=field,
            character=str(cause),
        )
    if isinstance(cause, InvalidValue):
        return cause.message.with_params(field=field)
    for bound in ("ge", "gt", "le", "lt"):
        limit = _limit(ctx.get(bound))
        if limit is not None:
            template = _BOUNDS.get((kind, isinstance(limit, date)), _OTHERWISE)
            if isinstance(limit, date):
                return Message(template, field=field, earlier=limit, day=limit)
            return Message(template, field=field, least=limit, most=limit)
    if kind == "string_too_short":
        least = int(ctx.get("min_length", 1))
        if least <= 1:
            return Message(_BY_TYPE["missing"], field=field)
        return Message("{field} takes at least {least} characters.", field=field, least=least)
    template = _BY_TYPE.get(kind, _OTHERWISE)
    return Message(
        template,
        field=field,
        least=int(ctx.get("min_length", 0)),
        most=int(ctx.get("max_length", 0)),
    )


def malformed(errors: Sequence[ErrorDetails]) -> Malformed:
    """The refusal of malformed input: its first error, explained (with the field's path)."""
    first = errors[0] if errors else ErrorDetails(type="value_error", loc=(), msg="", input=None)
    refusal = Malformed.saying(explained(first))
    refusal.field = ".".join(str(p) for p in first["loc"] if p not in _WHERE) or None
    return refusal
