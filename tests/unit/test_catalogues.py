"""The translation catalogues compile, hold the same messages in both languages, are complete."""

from __future__ import annotations

from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from api.i18n import LANGUAGES, catalogue_files


def catalogue(path: Path, language: str) -> Catalog:
    with path.open("rb") as po:
        # abort_invalid: an entry without its msgstr (as a union merge can leave) is an error.
        return read_po(po, locale=language, domain=path.stem, abort_invalid=True)


def keys(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, str(m.id)) for m in catalog if m.id}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_translation_keeps_every_brace_field_of_its_message(language: str) -> None:
    """Babel checks only %-formats; a `{field}` dropped from a translation loses what it said."""
    for path in catalogue_files(language):  # type: ignore[arg-type]
        lost = [
            (m.id, sorted(fields(str(m.id)) - fields(str(m.string))))
            for m in catalogue(path, language)
            if m.id and m.string and "python-brace-format" in m.flags
            if fields(str(m.id)) - fields(str(m.string))
        ]
        assert lost == [], path


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalogue_compiles_without_errors(language: str) -> None:
    files = catalogue_files(language)  # type: ignore[arg-type]
    assert files, f"no catalogues for {language}"
    for path in files:
        problems = [(m.id, errors) for m, errors in catalogue(path, language).check() if errors]
        assert problems == [], path


def test_both_languages_hold_the_same_messages_all_translated() -> None:
    vi_files = {p.name: p for p in catalogue_files("vi")}
    en_files = {p.name: p for p in catalogue_files("en")}
    assert vi_files.keys() == en_files.keys()
    for name, vi_path in vi_files.items():
        vi, en = catalogue(vi_path, "vi"), catalogue(en_files[name], "en")
        assert keys(vi) == keys(en), name
        untranslated = [m.id for m in vi if m.id and not m.string]
        assert untranslated == [], f"{name}: no Vietnamese for {untranslated[:10]}"
        # English message ids are their own translation; a label's id is a key, so it needs one.
        keyed = [m.id for m in en if m.id and m.context and not m.string]
        assert keyed == [], f"{name}: no English label for {keyed[:10]}"
        fuzzy = [m.id for c in (vi, en) for m in c if m.id and m.fuzzy]
        assert fuzzy == [], f"{name}: fuzzy entries {fuzzy[:10]}"
