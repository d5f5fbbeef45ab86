"""Every read model the projector keeps, by name."""

from __future__ import annotations

from projections.audit import Audit
from projections.escalations import Escalations
from projections.facts import Facts
from projections.model import ReadModel
from projections.seal import Seal
from projections.timeline import Timeline
from projections.units import Units

MODELS: dict[str, type[ReadModel]] = {
    m.name: m for m in (Seal, Units, Audit, Timeline, Facts, Escalations)
}


def all_models(suffix: str = "") -> list[ReadModel]:
    """One instance of every read model (a shadow build passes a table suffix)."""
    return [cls(suffix) for cls in MODELS.values()]
