"""A command's fields flattened for surfaces that speak in flat names (forms, CLI options).

`Refer.referral.residence_commune_id` becomes the leaf `referral.residence_commune_id`; the
surface collects values by leaf name and `nest` rebuilds the payload the command model validates.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

SURFACE_SKIPS = frozenset({"actor"})
"""Fields no surface asks for: the actor is whoever is signed in."""


@dataclass(frozen=True)
class Leaf:
    """One flat field: where it sits in the command, its type, and whether it must be given."""

    path: tuple[str, ...]
    annotation: Any
    required: bool
    default: Any
    help: str

    @property
    def name(self) -> str:
        """The flat name: the path joined with dots."""
        return ".".join(self.path)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds directly (`Referral` or `Referral | None`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(models) == 1:
            return _model_in(models[0])
    return None


def leaves(
    model: type[BaseModel], prefix: tuple[str, ...] = (), optional: bool = False
) -> list[Leaf]:
    """The flat fields of a model, nested models flattened (an optional one's leaves optional)."""
    found: list[Leaf] = []
    for name, field in model.model_fields.items():
        if not prefix and name in SURFACE_SKIPS:
            continue
        inner = _model_in(field.annotation)
        if inner is not None:
            found += leaves(inner, (*prefix, name), optional or not field.is_required())
            continue
        found.append(
            Leaf(
                path=(*prefix, name),
                annotation=field.annotation,
                required=field.is_required() and not optional,
                default=None
                if field.is_required()
                else field.get_default(call_default_factory=True),
                help=field.description or "",
            )
        )
    return found


def nest(values: dict[str, Any]) -> dict[str, Any]:
    """The payload of flat values: dotted names become nested objects; an optional nested object
    whose values were all left empty is left out."""
    payload: dict[str, Any] = {}
    for name, value in values.items():
        *parents, last = name.split(".")
        here = payload
        for part in parents:
            here = here.setdefault(part, {})
        here[last] = value
    return _prune(payload)


def _prune(payload: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if isinstance(value, dict):
            inner = _prune(value)
            if any(v not in (None, "") for v in inner.values()):
                out[key] = inner
        else:
            out[key] = value
    return out
