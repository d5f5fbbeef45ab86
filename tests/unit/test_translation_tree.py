"""Translation stays in the catalogues: no branch on the language in the code, and every message
the board and the CLI ask for is in the catalogues, translated."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from api.i18n import LOCALE_DIR, catalogue_files

ROOT = Path(__file__).resolve().parents[2]
BRANCH = re.compile(
    r"""\b(lang|language)\w*(\(\))?\s*(==|!=)\s*['"](vi|en)['"]"""  # lang == "vi"
    r"""|['"](vi|en)['"]\s*(==|!=)\s*\w*(lang|language)\b"""  # "vi" == lang
    r"""|\.language\s*(==|!=)\s*['"](vi|en)['"]"""  # settings().language == "vi"
    r"""|\bif\s+(not\s+)?vi\b"""  # "…" if vi else "…"
)
"""A choice of words by the language, in any of the shapes the code has used."""
SKIPPED = {".venv", ".git", "tests", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}


def sources() -> list[Path]:
    """Every Python file and template of the tree, outside the tests and the tools' folders."""
    return sorted(
        path
        for pattern in ("*.py", "*.html")
        for path in ROOT.rglob(pattern)
        if not SKIPPED & set(path.relative_to(ROOT).parts)
    )


def branches(path: Path) -> list[str]:
    """The lines of a file that choose words by the language."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [f"{path.relative_to(ROOT)}:{n}: {line.strip()}" for n, line in
            enumerate(lines, 1) if BRANCH.search(line)]  # fmt: skip


def test_no_branch_on_the_language_anywhere() -> None:
    found = [line for path in sources() for line in branches(path)]
    assert found == []


def test_the_branch_check_sees_every_shape() -> None:
    for line in (
        'x = "a" if lang == "vi" else "b"',
        "{{ 'a' if lang != 'en' else 'b' }}",
        'vi = settings().language == "vi"',
        'if "vi" == language:',
        '"Đã họp" if vi else "Held"',
    ):
        assert BRANCH.search(line), line
    assert not BRANCH.search('label("role", key, language)')


def vietnamese() -> dict[tuple[str | None, str], str]:
    """Every Vietnamese entry, by (context, message id) (a plural by its singular)."""
    entries: dict[tuple[str | None, str], str] = {}
    for path in catalogue_files("vi"):
        with path.open("rb") as po:
            for m in read_po(po, locale="vi", domain=path.stem):
                if m.id:
                    one = m.id if isinstance(m.id, str) else m.id[0]
                    string = m.string if isinstance(m.string, str) else m.string[0]
                    entries[(m.context, one)] = string
    return entries


def test_every_message_the_board_and_the_cli_ask_for_is_translated() -> None:
    """What `pybabel extract` finds in the templates and the Python of the board and the CLI
    (api/locale/babel.cfg) is in a catalogue with its Vietnamese words."""
    with (LOCALE_DIR / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "t": None, "tn": (1, 2)}
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            ROOT, method_map, options_map, keywords=keywords, strip_comment_tags=True
        )
    }
    assert len(found) > 150  # the extraction read the templates and the modules
    entries = vietnamese()
    missing = sorted(m for m in found if not entries.get((None, m)))
    assert missing == []
