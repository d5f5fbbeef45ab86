"""Text helpers for searching Vietnamese names without diacritics."""

from __future__ import annotations

import unicodedata

_STROKED = str.maketrans({"đ": "d", "Đ": "D"})


def fold(text: str) -> str:
    """Lower case, no diacritics, đ as d, single spaces: "Nguyễn Văn An" → "nguyen van an"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_STROKED))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


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
