"""The demo province's organisation tree: districts and communes until 1 July 2025, merged after."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError

from application.office import LiaisonOffice
from domain.organisation import Unit, UnitKind
from domain.policy import policy_in_force
from domain.registry import ORGANISATION_ID, Organisation
from domain.roles import Actor, Role
from domain.stamp import Stamp
from workers.province.bulk import BulkWriter, new_events

DEMO_NAMESPACE = UUID("c4a1f1de-7b2e-4f0e-8f3d-2b9e6a5d1c77")
PROVINCE = "DEMO"
FOUNDED = date(2015, 1, 1)
MERGER = date(2025, 7, 1)
"""Since 1 July 2025 districts are gone and communes are merged (DOMAIN.md)."""

ADMIN = Actor(id="demo-admin", role=Role.ADMINISTRATOR, unit_id=PROVINCE)
PLACES = [
    "An",
    "Bình",
    "Hòa",
    "Phú",
    "Long",
    "Mỹ",
    "Tân",
    "Thạnh",
    "Phước",
    "Lộc",
    "Hưng",
    "Vĩnh",
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Trung",
    "Sơn",
    "Hải",
    "Thuận",
    "Lợi",
    "Điền",
    "Xuân",
    "Thới",
    "Khánh",
    "Quới",
    "Hiệp",
    "Nhơn",
    "Định",
    "Tường",
    "Lạc",
    "Thành",
    "Quang",
    "Minh",
    "Hội",
    "Đức",
    "Tiến",
    "Lâm",
]
AGENCIES = (
    "Sở Tài chính",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Bệnh viện Đa khoa",
    "Trường THPT",
    "Công ty Điện lực",
    "Kho bạc Nhà nước",
    "Cục Thuế",
    "Ngân hàng Nông nghiệp",
    "Công an",
    "Bộ Chỉ huy Quân sự",
    "Trường Cao đẳng",
)


@dataclass
class Tree:
    """The units, the 2025 mergers, and which cells and workplaces members can belong to."""

    units: list[Unit] = field(default_factory=list)
    mergers: list[tuple[tuple[str, ...], Unit]] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    workplaces: list[str] = field(default_factory=list)
    commune_of: dict[str, str] = field(default_factory=dict)  # cell → commune before the merger
    merged_into: dict[str, str] = field(default_factory=dict)  # old commune → new commune

    def found(
        self, unit_id: str, name: str, kind: UnitKind, parent: str | None, until: date | None = None
    ) -> None:
        """Add a unit in force from FOUNDED (until `until`, when it is merged away)."""
        unit = Unit(id=unit_id, name=name, kind=kind, parent_id=parent, valid_from=FOUNDED)
        self.units.append(unit.model_copy(update={"valid_until": until}) if until else unit)

    def commune_on(self, cell_id: str, day: date) -> str:
        """The commune a cell belonged to on that day."""
        old = self.commune_of[cell_id]
        return self.merged_into[old] if day >= MERGER else old


def _place(rng: random.Random) -> str:
    return f"{rng.choice(PLACES)} {rng.choice(PLACES)}"


def build_tree(members: int, rng: random.Random) -> Tree:
    """A province sized for that many members (about 12 per cell, 96 per workplace, as reported)."""
    tree = Tree()
    tree.found(PROVINCE, "Tỉnh ủy Sông Hậu (demo)", UnitKind.PROVINCIAL_COMMITTEE, None)
    communes = max(6, members // 400)
    districts = max(2, communes // 12)
    cells_per_commune = max(3, round(members / (communes * 12)))
    for d in range(districts):
        district = f"{PROVINCE}-H{d + 1:02d}"
        name = f"Huyện ủy {_place(rng)}"
        tree.found(district, name, UnitKind.DISTRICT_COMMITTEE, PROVINCE, until=MERGER)
    olds: list[str] = []
    for c in range(communes):
        district = f"{PROVINCE}-H{c % districts + 1:02d}"
        commune = f"{district}-X{c + 1:03d}"
        olds.append(commune)
        tree.found(commune, f"Đảng ủy xã {_place(rng)}", UnitKind.COMMUNE_COMMITTEE, district)
        for k in range(cells_per_commune):
            cell = f"{commune}-C{k + 1:03d}"
            name = f"Chi bộ ấp {_place(rng)} {k + 1}"
            tree.found(cell, name, UnitKind.RESIDENCE_CELL, commune)
            tree.cells.append(cell)
            tree.commune_of[cell] = commune
    for g, start in enumerate(range(0, communes, 3)):
        group = tuple(olds[start : start + 3])
        successor = Unit(
            id=f"{PROVINCE}-XP{g + 1:03d}",
            name=f"Đảng ủy phường {_place(rng)}",
            kind=UnitKind.COMMUNE_COMMITTEE,
            parent_id=PROVINCE,
            valid_from=MERGER,
        )
        tree.mergers.append((group, successor))
        tree.merged_into.update(dict.fromkeys(group, successor.id))
    for w in range(max(3, round(members / 96))):
        kind = UnitKind.WORKPLACE_CELL if w % 3 == 2 else UnitKind.WORKPLACE_COMMITTEE
        head = "Chi bộ" if kind is UnitKind.WORKPLACE_CELL else "Đảng ủy"
        workplace = f"{PROVINCE}-W{w + 1:04d}"
        tree.found(workplace, f"{head} {AGENCIES[w % len(AGENCIES)]} {w + 1}", kind, PROVINCE)
        tree.workplaces.append(workplace)
    return tree


def write_tree(office: LiaisonOffice, tree: Tree, writer: BulkWriter) -> int:
    """Establish the units and record the mergers (each once); return the events written."""
    organisation: Organisation
    try:
        organisation = office.repository.get(ORGANISATION_ID)
    except AggregateNotFoundError:
        organisation = Organisation.start()

    def stamp(key: str, day: date) -> Stamp:
        return Stamp(
            actor=ADMIN,
            command_id=uuid5(DEMO_NAMESPACE, key),
            effective_date=day,
            regulation=policy_in_force(day).regulation,
        )

    for u in tree.units:
        if u.id not in organisation.tree:
            organisation.establish(stamp(f"unit:{u.id}", u.valid_from), u)
    for predecessors, successor in tree.mergers:
        if successor.id not in organisation.tree:
            organisation.succeed(stamp(f"merge:{successor.id}", MERGER), predecessors, successor)
    rows = new_events([organisation], writer.stored([organisation.id]), writer.mapper)
    return writer.save_all(rows)
