"""Text helpers for searching Vietnamese names without diacritics."""

from __future__ import annotations

import unicodedata

_STROKED = str.maketrans({"đ": "d", "Đ": "D"})


def fold(text: str) -> str:
    """Lower case, no diacritics, đ as d, single spaces: "Nguyễn Văn An" → "nguyen van an"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_STROKED))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())
