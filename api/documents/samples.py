"""Sample facts of each kind of document, as the record would give them: what the pictures in
`docs/documents/` show (`python -m api.documents.samples docs/documents`) and what the unit tests
typeset without a database."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

from api.documents.pdf import Code, facts_digest, typeset
from api.documents.record import KINDS, STATISTICS_FIGURES, Record
from api.documents.view import view

PROVINCE = "Thành phố Hà Nội"
WORKPLACE = {"id": "STC", "name": "Đảng ủy Sở Tài chính", "parent": "Đảng bộ Khối các cơ quan",
             "place": PROVINCE}  # fmt: skip
COMMUNE = {"id": "BD", "name": "Phường Ba Đình", "parent": PROVINCE, "place": PROVINCE}
CELL = {"id": "BD-TDP7", "name": "Chi bộ Tổ dân phố số 7", "parent": "Phường Ba Đình",
        "place": PROVINCE}  # fmt: skip
MEMBER = {"name": "Nguyễn Thị Hường", "birth_date": "1979-08-19", "party_card": "01012345",
          "workplace": WORKPLACE}  # fmt: skip
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLE = ("Thị", "Văn", "Ngọc", "Đức", "Thu", "Quang", "Minh", "Hữu")
GIVEN = ("Hường", "Ẩn", "Đức", "Thuỷ", "Nghĩa", "Yến", "Dũng", "Hạnh", "Phượng", "Tuấn", "Ánh")


def _name(n: int) -> str:
    return f"{SURNAMES[n % 10]} {MIDDLE[n % 8]} {GIVEN[n % 11]}"


CELLS = [
    {"unit": f"Chi bộ Tổ dân phố số {n}", "total": False,
     **{k: (n * (i + 3)) % 40 + 5 for i, k in enumerate(STATISTICS_FIGURES)}}
    for n in (5, 6, 7)
]  # fmt: skip

FACTS: dict[str, dict[str, Any]] = {
    "letter": {
        "number": 7, "year": 2026, "referred_on": "2026-01-10", "member": MEMBER,
        "issuer": WORKPLACE, "commune": COMMUNE, "residence_kind": "permanent", "regulation": "213",
    },
    "assessment": {
        "year": 2026, "member": MEMBER, "cell": CELL, "commune": COMMUNE, "regulation": "213",
        "regulation_title": "Quy định 213-QĐ/TW",
        "criteria": ["exemplary", "keeps_contact", "joins_activities", "conduct"],
        "grade": "fulfilled_well", "assessed_on": "2026-11-10",
        "comment": "Gương mẫu, tích cực tham gia các phong trào của tổ dân phố.",
        "front_joins": True, "front_representative": "Lê Thị Mận",
        "confirmed_on": "2026-11-14", "confirmed_comment": "",
    },
    "register": {
        "cell": CELL, "commune": COMMUNE,
        "members": [
            {"name": _name(n), "birth_date": f"19{60 + n % 35}-0{1 + n % 9}-1{n % 10}",
             "party_card": f"0101{n:04d}", "workplace": WORKPLACE["name"],
             "received_on": f"2026-0{1 + n % 9}-2{n % 8}", "closed_on": None,
             "exempt": n % 17 == 0}
            for n in range(1, 214)
        ],
    },
    "contact": {
        "member": MEMBER, "commune": COMMUNE, "cell": CELL, "referred_on": "2026-01-10",
        "received_on": "2026-01-25",
        "meetings": [{"held_on": "2026-03-01", "attendance": "present"},
                     {"held_on": "2026-06-07", "attendance": "absent_with_reason"},
                     {"held_on": "2026-09-06", "attendance": "present"}],
        "assessments": [{"year": 2026, "grade": "fulfilled_well", "assessed_on": "2026-11-10",
                         "reported_on": "2026-11-20"}],
    },
    "attendance": {
        "cell": CELL, "commune": COMMUNE, "held_on": "2026-03-01", "ad_hoc": False,
        "rows": [{"name": _name(n), "attendance": "present" if n % 6 else "absent_with_reason",
                  "reason": "" if n % 6 else "Đi công tác"} for n in range(1, 19)],
    },
    "statistics": {
        "unit": COMMUNE, "on": "2026-12-31", "year": 2026,
        "rows": [
            *CELLS,
            {"unit": "Phường Ba Đình", "total": True,
             **{k: sum(c[k] for c in CELLS) for k in STATISTICS_FIGURES}},
        ],
    },
    "evidence": {
        "unit": COMMUNE, "on": "2026-12-31", "known_at": "2026-12-31T17:00:00+07:00",
        "figures": {k: 10 + i for i, k in enumerate(STATISTICS_FIGURES)},
        "lists": {"referred": 14, "received_cell": 12}, "audit_rows": 311,
        "evidence_digest": "5f0c" * 16, "evidence_seal": 48213,
    },
}  # fmt: skip
PARAMS = {
    "letter": {"member": "4b1f8a52-0000-5000-8000-000000000001"},
    "assessment": {"member": "4b1f8a52-0000-5000-8000-000000000001", "year": "2026"},
    "register": {"cell": "BD-TDP7"},
    "contact": {"member": "4b1f8a52-0000-5000-8000-000000000001"},
    "attendance": {"meeting": "4b1f8a52-0000-5000-8000-0000000000aa"},
    "statistics": {"unit": "BD", "on": "2026-12-31"},
    "evidence": {"unit": "BD", "on": "2026-12-31"},
}


def sample(kind: str, fmt: str = "pdf") -> bytes:
    """The sample document of that kind, in Vietnamese, at seal position 48213."""
    record = Record(kind, PARAMS[kind], (), FACTS[kind])
    code = Code(kind, record.params, 48213, "7d8775d55f281846" * 4, facts_digest(record.facts))
    return typeset(kind, view(record, code, "vi", date(2026, 12, 31)), code, fmt)


def main(folder: str) -> None:
    """Write each sample's first page as PNG into the folder."""
    for kind in KINDS:
        (Path(folder) / f"{kind}.png").write_bytes(sample(kind, "png"))


if __name__ == "__main__":
    main(sys.argv[1])
