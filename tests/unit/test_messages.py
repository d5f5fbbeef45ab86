"""Every message a person reads goes through messages.po, and reads right in both languages.

The messages are found in the source the way gettext finds them (Babel's extractor, with every
refusal class and message helper as a keyword): each one must be in the catalogue, each entry of
the catalogue must be used, and each template, given a sample of every parameter it names, must
come out in Vietnamese and in English with no placeholder left, no enum value or internal code,
and Vietnamese that is not the English.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
import string
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.i18n import catalogue_files, label
from api.messages import CONTEXTS, render
from domain import commands as cmd
from domain.errors import Language, Refused
from domain.messages import Count, Label, Localised, Message, UnitRef, param_types
from domain.roles import Action
from domain.state import Stage
from domain.validation import FIELD

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "application", "api", "workers", "workflows", "projections")
RAISED_IN = ("domain", "application")
"""Where the use cases live: every refusal raised there is checked call by call."""

HELPERS: dict[str, Any] = {
    "Message": None,
    "gettext_noop": None,
    "wrong_state": (2,),
    "require_kind": (3,),
}
"""Functions taking a template (Babel keyword specs: which argument, 1-based, is the message id)."""


def _bases() -> dict[type, Any]:
    """Exception classes taking a template (and where): they and like subclasses are keywords."""
    from api.errors import BoardError
    from api.imports import UploadRefused
    from workers.province.records import RowError

    return {Refused: None, UploadRefused: None, BoardError: (3,), RowError: (2,)}


CONTEXTS_HERE = {FIELD, "action"}
"""The label contexts messages.po holds itself: field names in validation messages, and actions
as verbs in refusals ("may not receive a referral at the commune")."""


def _modules() -> Iterator[str]:
    for package in PACKAGES:
        if not (ROOT / package).is_dir():
            continue
        yield package
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            if not info.name.endswith("__main__"):
                yield info.name


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@cache
def refusal_classes() -> frozenset[type[Refused]]:
    """Every refusal class of the code base (every module imported first)."""
    for name in _modules():
        importlib.import_module(name)
    return frozenset({Refused, *_subclasses(Refused)})


@cache
def keywords() -> dict[str, Any]:
    """Babel's keywords: every exception class that takes a template, and the helpers."""
    refusal_classes()  # every module imported
    found: dict[str, Any] = {}
    for base, spec in _bases().items():
        for cls in (base, *_subclasses(base)):
            if cls.__init__ is base.__init__:  # HiddenRecord takes a kind of record, say
                found[cls.__name__] = spec
    return {**found, **HELPERS}


@cache
def extracted() -> dict[str, tuple[str, ...]]:
    """Every message id in the source, with where it is used."""
    found: dict[str, list[str]] = {}
    for package in PACKAGES:
        if not (ROOT / package).is_dir():
            continue
        for path, line, message, _, _ in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=keywords()
        ):
            if isinstance(message, str):
                found.setdefault(message, []).append(f"{package}/{path}:{line}")
    return {k: tuple(v) for k, v in found.items()}


def catalogue(language: str) -> Catalog:
    """messages.po in the language."""
    path = ROOT / "api" / "locale" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        return read_po(po, locale=language, domain="messages")


def placeholders(template: str) -> set[str]:
    """The `{name}` placeholders of a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_in_the_source_is_in_the_catalogue_and_no_other() -> None:
    plain = {str(m.id) for m in catalogue("vi") if m.id and not m.context}
    used = set(extracted())
    assert sorted(used - plain) == [], "not in messages.po"
    assert sorted(plain - used) == [], "in messages.po but used nowhere"


def test_each_field_and_action_has_a_label_and_each_label_a_use() -> None:
    labels: dict[str, set[str]] = {}
    for m in catalogue("vi"):
        if m.id and m.context:
            labels.setdefault(m.context, set()).add(str(m.id))
    assert set(labels) == CONTEXTS_HERE
    assert labels["action"] == {a.value for a in Action}
    assert labels[FIELD] == input_fields() | {"request"}


def input_fields() -> set[str]:
    """Every field a person or client fills in: of the domain's commands and the API's inputs."""
    fields: set[str] = set()

    def walk(model: Any) -> None:
        for name, info in model.model_fields.items():
            fields.add(name)
            for inner in _models(info.annotation):
                walk(inner)

    for value in vars(cmd).values():
        if isinstance(value, type) and issubclass(value, cmd.BaseModel):
            walk(value)
    fields.update(_api_inputs())
    return fields


def _models(annotation: Any) -> Iterator[Any]:
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _models(arg)
    yield from (
        inner for meta in getattr(annotation, "__metadata__", ()) for inner in _models(meta)
    )


def _api_inputs() -> set[str]:
    """Parameters and request-body properties of every API operation."""
    from fastapi import FastAPI

    from api.app import API_ROUTERS

    api = FastAPI()
    for router in API_ROUTERS:
        api.include_router(router)
    schema = api.openapi()
    names: set[str] = set()
    refs: list[str] = []
    for operations in schema["paths"].values():
        for operation in operations.values():
            names.update(p["name"] for p in operation.get("parameters", []))
            refs += _refs(operation.get("requestBody", {}))
    components = schema.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    while refs:
        ref = refs.pop()
        if ref not in seen:
            seen.add(ref)
            names.update(components[ref].get("properties", {}))
            refs += _refs(components[ref])
    return names


def _refs(value: Any) -> list[str]:
    """The component schemas a piece of the OpenAPI document refers to."""
    return re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(value))


# Samples: one value per parameter type, chosen so that a leak is seen (enum values with "_").
UNIT = UnitRef("MAU-P1-TDP1")
UNIT_NAME = "Tổ dân phố 1"
LABEL_SAMPLES: dict[str, Label] = {
    "grade": Label("grade", "fulfilled_well"),
    "exemption": Label("exemption", "full_time_study"),
    "field": Label(FIELD, "party_card_number"),
}


def sample(name: str, kind: Any) -> Any:
    """A value of the parameter for rendering."""
    if name in LABEL_SAMPLES:
        return LABEL_SAMPLES[name]
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        members = list(kind)
        return next((m for m in members if "_" in m.value), members[0])
    samples: dict[Any, Any] = {
        str: "Nguyễn Văn An",
        int: 2026,
        Count: Count(900000),
        float: 8.0,
        date: date(2026, 12, 2),
        UnitRef: UNIT,
        Message: Message("The liaison is closed"),
        Localised: Localised("Đảng viên", "Members"),
    }
    if kind in samples:
        return samples[kind]
    if getattr(kind, "__origin__", None) is tuple:
        return (Label("grade", "fulfilled_well"), Label("grade", "not_fulfilled_well"))
    raise AssertionError(f"no sample for {name}: {kind}")


def keys_shown(value: Any) -> Iterator[str]:
    """The raw keys a sample carries (an enum value, a label's key): none may be shown."""
    if isinstance(value, StrEnum):
        yield value.value
    elif isinstance(value, Label):
        yield value.key
    elif isinstance(value, tuple):
        for v in value:
            yield from keys_shown(v)


def pending_labels(context: str) -> bool:
    """True while labels.po has no label at all in this context (the board's part, not yet in)."""
    for path in catalogue_files("vi"):
        if path.stem == "labels":
            with path.open("rb") as po:
                return not any(m.context == context for m in read_po(po, locale="vi"))
    return True


CODES = {cls.code for cls in refusal_classes()} - {"refused"}


@pytest.mark.parametrize("template", sorted(extracted()))
def test_each_message_reads_right_in_both_languages(template: str) -> None:
    types = param_types()
    names = placeholders(template)
    unknown = names - set(types)
    assert not unknown, f"{extracted()[template]}: parameters not in Params: {unknown}"
    params = {name: sample(name, types[name]) for name in names}
    contexts = set()
    for value in params.values():
        for v in value if isinstance(value, tuple) else (value,):
            if isinstance(v, StrEnum):
                contexts.add(CONTEXTS[type(v)])
            elif isinstance(v, Label):
                contexts.add(v.context)
    missing = sorted(c for c in contexts if c not in CONTEXTS_HERE and pending_labels(c))
    if missing:
        pytest.skip(f"labels.po has no labels in {missing} yet")
    message = Message(template, **params)
    vi_template = catalogue("vi").get(template)
    assert vi_template is not None
    assert vi_template.string, "no Vietnamese"
    assert placeholders(str(vi_template.string)) <= names, "the translation names other values"

    def units(code: str) -> str | None:
        return UNIT_NAME if code == UNIT.code else None

    shown: dict[Language, str] = {lang: render(message, lang, units) for lang in ("vi", "en")}
    assert shown["vi"] != shown["en"]
    for text in shown.values():
        assert not re.search(r"\{\w*\}", text), text
        for value in params.values():
            for key in keys_shown(value):
                assert key not in text or key in template, f"{key!r} shown raw: {text}"
        assert not {c for c in CODES if c in text}, text
        if "unit" in names or "cell" in names or "commune" in names:
            assert f"{UNIT_NAME} ({UNIT.code})" in text


@pytest.mark.parametrize("package", RAISED_IN)
def test_every_refusal_raised_passes_a_template(package: str) -> None:
    """A refusal is raised with a literal template (so that it is extracted), never a built text."""
    names = {cls.__name__ for cls in refusal_classes() if cls.__init__ is Refused.__init__}
    names |= {"wrong_state"}
    found: list[str] = []
    for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
        relative = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in names:
                continue
            index = 1 if name == "wrong_state" else 0
            args = node.args[index:]
            where = f"{relative}:{node.lineno}"
            if len(args) > 1:
                found.append(f"{where}: {name} with two texts (convert it: refusal_codemod)")
            elif not args or not (isinstance(args[0], ast.Constant) or _table(args[0])):
                found.append(f"{where}: {name} without a literal template")
    assert found == []


def _table(node: ast.expr) -> bool:
    """A template looked up in a module's table (whose entries are marked `gettext_noop`), or
    passed to a helper whose callers give it literally (`require_kind(…, template)`, a keyword of
    the extraction)."""
    if isinstance(node, ast.Name):
        return node.id == "template"
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id.isupper()
    )


def test_every_shown_enum_has_a_context() -> None:
    from api.reads import Metric

    enums = {
        value
        for module in list(_modules())
        for value in vars(importlib.import_module(module)).values()
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    }
    assert enums - set(CONTEXTS) == set()
    assert Metric in CONTEXTS
    assert label(CONTEXTS[Stage], Stage.RECEIVED_BY_COMMUNE.value, "vi") != "received_by_commune"
