"""Rebuild one read model from zero, in place or beside the live one (shadow, compare, switch)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from projections.catalog import MODELS
from projections.model import Cursor, ReadModel, switch
from projections.runner import Progress, Projector

SHADOW = "_shadow"


@dataclass(frozen=True)
class ShadowResult:
    """Whether the shadow matched the live model (and was switched in), and what differed."""

    switched: bool
    position: int
    differences: dict[str, int]


def rebuild(env: Mapping[str, str], names: Sequence[str], progress: Progress | None = None) -> int:
    """Drop these models' tables and positions and replay the whole log into them at once (a
    big log on every core: `Projector.catch_up`)."""
    projector = Projector(env, [MODELS[name]() for name in names])
    try:
        return projector.rebuild(progress)
    finally:
        projector.close()


def differences(cur: Cursor, model: ReadModel, other_suffix: str) -> dict[str, int]:
    """Rows present in one copy of each table but not the other (empty when identical)."""
    found = {}
    for table in model.tables:
        a, b = model.t(table), table + other_suffix
        cur.execute(
            f"SELECT (SELECT count(*) FROM (TABLE {a} EXCEPT ALL TABLE {b}) x)"
            f" + (SELECT count(*) FROM (TABLE {b} EXCEPT ALL TABLE {a}) y) AS n"
        )
        n = int(cur.fetchone()["n"])
        if n:
            found[table] = n
    return found


def shadow_rebuild(
    env: Mapping[str, str], name: str, progress: Progress | None = None
) -> ShadowResult:
    """Build the model beside the live one up to the same position; switch only if they match."""
    live, shadow = MODELS[name](), MODELS[name](SHADOW)
    projector = Projector(env, [live, shadow])
    try:
        if projector.models[0] is not live:  # a new version is being built; it switches itself
            return ShadowResult(False, 0, {"version": live.version})
        with projector.transaction() as cur:
            for statement in [*shadow.drop(), *shadow.ddl()]:
                cur.execute(statement)
            projector.reset_position(cur, shadow)
        head = projector.head()
        projector.catch_up(stop=head, progress=progress)
        with projector.transaction() as cur:
            for table in live.tables:
                cur.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")  # the live projector waits
            positions = projector.positions(cur)
            if positions[live.tracking_name] != positions[shadow.tracking_name]:
                return ShadowResult(False, positions[live.tracking_name], {"position": 1})
            found = differences(cur, shadow, "")
            if found:
                return ShadowResult(False, head, found)
            switch(cur, shadow)
            projector.reset_position(cur, shadow)
        return ShadowResult(True, head, {})
    finally:
        projector.close()
