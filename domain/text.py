"""Text helpers for searching Vietnamese names without diacritics."""

from __future__ import annotations

import re
import unicodedata

_STROKED = str.maketrans({"đ": "d", "Đ": "D"})


def fold(text: str) -> str:
    """Lower case, no diacritics, đ as d, single spaces: "Nguyễn Văn An" → "nguyen van an"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_STROKED))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


_WORD = re.compile(r"[^\W_]+")
"""A run of letters and digits: punctuation, wildcards (`%`, `_`) and spaces only separate words."""


def words(text: str) -> list[str]:
    """The folded words of a text, in order: "Nguyễn-Văn  An" → ["nguyen", "van", "an"]."""
    return _WORD.findall(fold(text))


def search_keys(name: str, *identifiers: str | None) -> list[str]:
    """What a member is found by: every prefix of every word of the folded name and identifiers,
    and of each identifier written without its separators ("93.000.001" → "93000001"); sorted.

    A search matches when each word typed is one of these keys, so words may come in any order,
    without diacritics, and the last one half typed."""
    whole = words(name)
    for identifier in identifiers:
        if identifier:
            parts = words(identifier)
            whole += [*parts, "".join(parts)]
    return sorted({word[:end] for word in whole for end in range(1, len(word) + 1)})


_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidirectional controls: they make a name read differently from how it is stored."""
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Controls, format characters, surrogates, private use, unassigned, line and paragraph breaks."""
_TEXT_BREAKS = frozenset("\n\t")


class UnsafeText(ValueError):
    """Text holding a character no person types into a name or a comment."""


def _check(text: str, allowed: frozenset[str]) -> str:
    normal = unicodedata.normalize("NFC", text)
    for ch in normal:
        if ch in allowed:
            continue
        if ch in _BIDI or unicodedata.category(ch) in _REFUSED_CATEGORIES:
            raise UnsafeText(f"U+{ord(ch):04X}")
    return normal


def clean_line(text: str) -> str:
    """One line of text (a name, a reason) in NFC; refuses control, format and break characters."""
    return " ".join(_check(text, frozenset()).split())


def clean_text(text: str) -> str:
    """Free text (a comment) in NFC; line breaks and tabs allowed, other controls refused."""
    return _check(text.replace("\r\n", "\n"), _TEXT_BREAKS).strip()
