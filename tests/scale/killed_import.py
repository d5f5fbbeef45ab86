"""An import run in its own process, for the test that kills it: prints its progress per chunk.

python -m tests.scale.killed_import '<eventsourcing env as JSON>' MEMBERS
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from application.office import LiaisonOffice
from tests.scale.conftest import SUPERVISOR, TODAY, UNTIL
from workers.province import demo
from workers.province.bulk import BulkWriter
from workers.province.demo_tree import write_tree
from workers.province.importer import Source, import_records


def main(env: dict[str, str], members: int) -> None:
    """Write the demo tree, then import the province on two worker processes."""
    office = LiaisonOffice(env=env, clock=lambda: datetime(2026, 1, 10, 9, tzinfo=UTC))
    province = demo.generate(members, seed=7, until=UNTIL)
    write_tree(office, province.tree, BulkWriter(office))

    def progress(done: int, events: int) -> None:
        print(f"{done} {len(province.records)}", flush=True)

    import_records(
        office, province.records, Source("killed", "k" * 64), SUPERVISOR, TODAY,
        progress=progress, processes=2,
    )  # fmt: skip
    print("finished", flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]), int(sys.argv[2]))
