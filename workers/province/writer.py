"""Write member records in the import template's layout (CSV pair or one XLSX), in vi or en."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from domain.errors import Language
from workers.province import columns as c
from workers.province.records import HISTORY, MEMBERS, Fact, MemberRecord

Cell = str
REASONS = {"move": c.CLOSING_REASONS, "close": c.CLOSING_REASONS, "exemption": c.EXEMPTION_REASONS}


def _d(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _label(words: dict[str, tuple[str, str]], code: str | None, language: Language) -> str:
    if not code:
        return ""
    return c.in_language(words.get(code, (code, code)), language)


def member_row(r: MemberRecord, language: Language) -> list[Cell]:
    """One members-table row in column order."""
    values = {
        "name": r.name,
        "birth_date": _d(r.birth_date),
        "party_card_number": r.party_card_number,
        "citizen_id": r.citizen_id or "",
        "workplace_unit": r.workplace_unit_id,
        "registered_on": _d(r.registered_on),
        "residence_commune": r.commune_id or "",
        "residence_cell": r.cell_id or "",
        "residence_kind": _label(c.RESIDENCE_KINDS, r.residence_kind, language),
        "referred_on": _d(r.referred_on),
        "commune_received_on": _d(r.commune_received_on),
        "cell_received_on": _d(r.cell_received_on),
        "exemption": _label(c.EXEMPTIONS, r.exemption, language),
        "exemption_reason": _label(c.EXEMPTION_REASONS, r.exemption_reason, language),
        "exempt_on": _d(r.exempt_on),
    }
    return [values[k] for k in c.MEMBER_COLUMNS]


def history_row(card: str, f: Fact, language: Language) -> list[Cell]:
    """One history-table row in column order."""
    moving = f.kind in ("move", "close")
    values = {
        "party_card_number": card,
        "kind": _label(c.KINDS, f.kind, language),
        "date": _d(f.day),
        "year": str(f.year or ""),
        "grade": _label(c.GRADES, f.grade, language),
        "attendance": _label(c.ATTENDANCE, f.attendance, language),
        "front_representative": f.front_representative or "",
        "confirmed_on": _d(f.confirmed_on),
        "reported_on": _d(f.reported_on),
        "reason": _label(REASONS.get(f.kind, {}), f.reason, language) or (f.reason or ""),
        "new_commune": (f.commune_id or "") if moving else "",
        "new_cell": (f.cell_id or "") if moving else "",
        "new_workplace": (f.workplace_unit_id or "") if moving else "",
        "new_commune_received_on": _d(f.commune_received_on),
        "new_cell_received_on": _d(f.cell_received_on),
    }
    return [values[k] for k in c.HISTORY_COLUMNS]


def headings(table: str, language: Language) -> list[str]:
    """The table's headings in the language."""
    return [c.heading(table, k, language) for k in c.TABLES[table]]


def tables(records: Iterable[MemberRecord], language: Language) -> dict[str, list[list[Cell]]]:
    """Both tables, headings first."""
    members, history = [headings(MEMBERS, language)], [headings(HISTORY, language)]
    for r in records:
        members.append(member_row(r, language))
        history.extend(history_row(r.party_card_number, f, language) for f in r.facts)
    return {MEMBERS: members, HISTORY: history}


def write_csv(
    records: Sequence[MemberRecord], members: Path, history: Path, language: Language
) -> None:
    """The members and history tables as two UTF-8 CSV files (with BOM, as Excel saves them)."""
    data = tables(records, language)
    for table, path in ((MEMBERS, members), (HISTORY, history)):
        with path.open("w", newline="", encoding="utf-8-sig") as out:
            csv.writer(out).writerows(data[table])


def write_xlsx(records: Sequence[MemberRecord], path: Path, language: Language) -> None:
    """Both tables as the two sheets of one workbook."""
    import openpyxl  # type: ignore[import-untyped]

    book = openpyxl.Workbook(write_only=True)
    for table, rows in tables(records, language).items():
        sheet = book.create_sheet(c.in_language(c.SHEETS[table], language))
        for row in rows:
            sheet.append(row)
    book.save(path)
