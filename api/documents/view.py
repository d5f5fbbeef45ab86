"""A document's facts as words on the page: labels from the catalogues, dates as people write
them, the header, title and signature of each kind (what the Typst templates lay out)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from api.documents.pdf import Code
from api.documents.record import STATISTICS_FIGURES, Record
from api.i18n import format_date, format_number, gettext, label
from domain.errors import Language

ABBREVIATIONS = {
    "letter": "GGT",
    "assessment": "PNX",
    "register": "STD",
    "contact": "SLH",
    "attendance": "ĐD",
    "statistics": "TK",
    "evidence": "CC",
}
"""The letters after a document's number, as boards write them (giấy giới thiệu, phiếu nhận xét,
sổ theo dõi, sổ liên hệ, điểm danh, thống kê, chứng cứ)."""


class Words:
    """The catalogue's words in one language, with parameters (`%(name)s`)."""

    def __init__(self, language: Language) -> None:
        self.language = language

    def __call__(self, message: str, **params: Any) -> str:
        text = gettext(message, self.language)
        return text % params if params else text

    def day(self, iso: str | None) -> str:
        """An ISO date as people of the language write it ("" for none)."""
        return format_date(date.fromisoformat(iso), self.language) if iso else ""

    def label(self, context: str, key: str) -> str:
        """An enum value's label."""
        return label(context, key, self.language)

    def number(self, value: float | None) -> str:
        """A count with the language's grouping ("—" for none)."""
        return "—" if value is None else format_number(value, self.language)


def number_of(record: Record, code: Code) -> str:
    """The document's number: a letter's place in its workplace's sequence of the year, else the
    seal position it was printed at."""
    if record.kind == "letter":
        facts = record.facts
        return f"{facts['number']:02d}-{ABBREVIATIONS['letter']}/{facts['year']}"
    return f"{code.position}-{ABBREVIATIONS[record.kind]}"


def place_date(w: Words, place: str, iso: str) -> str:
    """ "Hà Nội, ngày 10 tháng 01 năm 2026": where and when the document is issued."""
    day = date.fromisoformat(iso)
    return w(
        "%(place)s, day %(day)s month %(month)s year %(year)s",
        place=place,
        day=f"{day.day:02d}",
        month=f"{day.month:02d}",
        year=day.year,
    )


def _header(w: Words, issuer: dict[str, Any], number: str, place: str, iso: str) -> dict[str, str]:
    return {
        "issuer_parent": issuer.get("parent") or "",
        "issuer": issuer["name"],
        "number": w("No.: %(number)s", number=number),
        "place_date": place_date(w, place or issuer["name"], iso),
    }


def _member_fields(w: Words, member: dict[str, Any]) -> list[list[str]]:
    """Who the member is: name, date of birth, party card, workplace."""
    return [
        [w("Comrade"), member["name"]],
        [w("Date of birth"), w.day(member["birth_date"])],
        [w("Party card number"), member["party_card"]],
        [w("Working member of"), member["workplace"]["name"]],
    ]


def _letter(w: Words, f: dict[str, Any], number: str) -> dict[str, Any]:
    member, commune = f["member"], f["commune"]
    return {
        "header": _header(w, f["issuer"], number, f["issuer"]["place"], f["referred_on"]),
        "title": w("INTRODUCTION LETTER"),
        "subtitle": w("Party member's activities at the place of residence"),
        "to": w("To: the Party committee of %(commune)s", commune=commune["name"]),
        "fields": [
            *_member_fields(w, member),
            [
                w("Residing in"),
                f"{commune['name']} ({w.label('residence_kind', f['residence_kind'])})",
            ],
        ],
        "body": w(
            "%(issuer)s introduces the comrade above to take part in the activities of the place"
            " of residence, as %(regulation)s requires. The Party committee of %(commune)s is"
            " asked to receive the comrade, introduce them to the residence cell and work with"
            " us in following them.",
            issuer=f["issuer"]["name"],
            regulation=w("Regulation %(number)s", number=f["regulation"]),
            commune=commune["name"],
        ),
        "signer": [w("ON BEHALF OF THE PARTY COMMITTEE"), w("SECRETARY")],
    }


def _assessment(w: Words, f: dict[str, Any], number: str) -> dict[str, Any]:
    member, cell, commune = f["member"], f["cell"], f["commune"]
    front = f["front_representative"] or ("…" * 20 if f["front_joins"] else w("Not required"))
    return {
        "header": _header(
            w, cell | {"parent": commune["name"]}, number, commune["place"], f["assessed_on"]
        ),
        "title": w("ASSESSMENT FORM"),
        "subtitle": w("Party member at the place of residence, year %(year)s", year=str(f["year"])),
        "fields": [
            *_member_fields(w, member),
            [w("Regulation"), f["regulation_title"]],
        ],
        "criteria_title": w("The member's duties where they live"),
        "criteria": [w.label("criterion", c) for c in f["criteria"]],
        "sections": [
            [w("The cell's comment"), f["comment"] or "…" * 40],
            [w("Grade"), w.label("grade", f["grade"])],
            [w("Assessed on"), w.day(f["assessed_on"])],
            [w("The Front work committee's representative"), front],
            [
                w("The commune's confirmation"),
                w("Confirmed on %(day)s", day=w.day(f["confirmed_on"]))
                + (f" — {f['confirmed_comment']}" if f["confirmed_comment"] else "")
                if f["confirmed_on"]
                else w("Not confirmed yet"),
            ],
        ],
        "signers": [
            [w("ON BEHALF OF THE PARTY COMMITTEE"), commune["name"]],
            [w("ON BEHALF OF THE CELL"), w("SECRETARY")],
        ],
    }


def _register(w: Words, f: dict[str, Any], number: str, printed: str) -> dict[str, Any]:
    rows = [
        [
            str(i),
            m["name"],
            w.day(m["birth_date"]),
            m["party_card"],
            m["workplace"],
            w.day(m["received_on"]),
            w("Left on %(day)s", day=w.day(m["closed_on"]))
            if m["closed_on"]
            else (w("Exempt from activities") if m["exempt"] else ""),
        ]
        for i, m in enumerate(f["members"], start=1)
    ]
    return {
        "header": _header(
            w, f["cell"] | {"parent": f["commune"]["name"]}, number, f["commune"]["place"], printed
        ),
        "title": w("REGISTER"),
        "subtitle": w("of working Party members taking part in activities where they live"),
        "count": w("%(count)s members", count=w.number(len(rows))),
        "columns": [
            w("No."),
            w("Full name"),
            w("Date of birth"),
            w("Party card number"),
            w("Working member of"),
            w("Received on"),
            w("Notes"),
        ],
        "rows": rows,
        "signer": [w("ON BEHALF OF THE CELL"), w("SECRETARY")],
    }


def _contact(w: Words, f: dict[str, Any], number: str, printed: str) -> dict[str, Any]:
    member, cell, commune = f["member"], f["cell"], f["commune"]
    lines = [
        [w.day(m["held_on"]), w("Cell meeting"), w.label("attendance", m["attendance"])]
        for m in f["meetings"]
    ] + [
        [
            w.day(a["assessed_on"]),
            w("Assessment of %(year)s", year=str(a["year"])),
            w.label("grade", a["grade"]),
        ]
        for a in f["assessments"]
    ]
    lines.sort(key=lambda line: line[0][-4:] + line[0][3:5] + line[0][:2])
    return {
        "header": _header(w, cell | {"parent": commune["name"]}, number, commune["place"], printed),
        "title": w("CONTACT BOOK"),
        "subtitle": w("Between the Party member, the residence cell and the workplace"),
        "fields": [
            *_member_fields(w, member),
            [w("Residence cell"), cell["name"]],
            [w("Referred on"), w.day(f["referred_on"])],
            [w("Received on"), w.day(f["received_on"])],
        ],
        "columns": [w("Date"), w("What"), w("Result")],
        "rows": lines,
        "signer": [w("ON BEHALF OF THE CELL"), w("SECRETARY")],
    }


def _attendance(w: Words, f: dict[str, Any], number: str) -> dict[str, Any]:
    cell, commune = f["cell"], f["commune"]
    rows = [
        [str(i), r["name"], w.label("attendance", r["attendance"]), r["reason"], ""]
        for i, r in enumerate(f["rows"], start=1)
    ]
    present = sum(1 for r in f["rows"] if r["attendance"] == "present")
    return {
        "header": _header(
            w, cell | {"parent": commune["name"]}, number, commune["place"], f["held_on"]
        ),
        "title": w("MINUTES OF THE CELL MEETING"),
        "subtitle": w("Ad hoc meeting") if f["ad_hoc"] else w("Regular meeting"),
        "fields": [
            [w("Held on"), w.day(f["held_on"])],
            [w("Place"), cell["name"]],
            [w("Chaired by"), "…" * 30],
            [w("Minutes taken by"), "…" * 30],
            [
                w("Present"),
                w(
                    "%(present)s of %(count)s members",
                    present=w.number(present),
                    count=w.number(len(rows)),
                ),
            ],
        ],
        "table_title": w("ATTENDANCE SHEET"),
        "columns": [w("No."), w("Full name"), w("Attendance"), w("Reason"), w("Signature")],
        "rows": rows,
        "signers": [[w("MINUTES TAKER"), ""], [w("CHAIR"), ""]],
    }


def _figures_table(w: Words, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "columns": [w("Unit")] + [w.label("figure", k) for k in STATISTICS_FIGURES],
        "rows": [[r["unit"]] + [w.number(r[k]) for k in STATISTICS_FIGURES] for r in rows],
        "total_last": bool(rows and rows[-1].get("total")),
    }


def _statistics(w: Words, f: dict[str, Any], number: str) -> dict[str, Any]:
    unit = f["unit"]
    return {
        "header": _header(w, unit, number, unit["place"], f["on"]),
        "title": w("REPORT"),
        "subtitle": w(
            "Statistics of Party members taking part in activities where they live, year"
            " %(year)s, as of %(day)s",
            year=str(f["year"]),
            day=w.day(f["on"]),
        ),
        **_figures_table(w, f["rows"]),
        "signer": [w("ON BEHALF OF THE PARTY COMMITTEE"), w("SECRETARY")],
    }


def _evidence(w: Words, f: dict[str, Any], number: str) -> dict[str, Any]:
    unit = f["unit"]
    figures = [{"unit": unit["name"], **f["figures"]}]
    return {
        "header": _header(w, unit, number, unit["place"], f["on"]),
        "title": w("INSPECTION EVIDENCE"),
        "subtitle": w("%(unit)s as of %(day)s", unit=unit["name"], day=w.day(f["on"])),
        **_figures_table(w, figures),
        "fields": [
            [
                w("Lists behind the figures"),
                w("%(count)s members listed", count=w.number(sum(f["lists"].values()))),
            ],
            [w("Audit rows"), w.number(f["audit_rows"])],
            [w("Evidence file's seal position"), w.number(f["evidence_seal"])],
            [w("Evidence file's digest"), f["evidence_digest"]],
        ],
        "note": w(
            "The machine-checkable evidence file (JSON) with this digest is checked with"
            " liaison verify --evidence or python -m liaison_verify."
        ),
        "signer": [w("INSPECTOR"), ""],
    }


Presenter = Callable[[Words, dict[str, Any], str], dict[str, Any]]


def view(record: Record, code: Code, language: Language, printed: date) -> dict[str, Any]:
    """What the template of the record's kind lays out, in the language."""
    w = Words(language)
    number = number_of(record, code)
    today = printed.isoformat()
    presenters: dict[str, Presenter] = {
        "letter": _letter,
        "assessment": _assessment,
        "register": lambda w, f, n: _register(w, f, n, today),
        "contact": lambda w, f, n: _contact(w, f, n, today),
        "attendance": _attendance,
        "statistics": _statistics,
        "evidence": _evidence,
    }
    shown = presenters[record.kind](w, record.facts, number)
    return {
        **shown,
        "lang": language,
        "party": w("COMMUNIST PARTY OF VIETNAM"),
        "stamp": w("(Signature and stamp)"),
        "verify": w(
            "Verification code: seal position %(position)s, head %(head)s… — check with"
            " liaison verify --document",
            position=w.number(code.position),
            head=code.link[:16],
        ),
        "page": w("Page"),
    }
