"""A workflow that does nothing: the dev server's own start-and-complete rate (in a module, not
`__main__`, for the workflow sandbox)."""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="Trivial")
class Trivial:
    """Returns at once."""

    @workflow.run
    async def run(self, n: int) -> int:
        """Hand back the number."""
        return n


@workflow.defn(name="Sleeper")
class Sleeper:
    """Waits on one long timer: the dev server's own cost of an idle open workflow."""

    @workflow.run
    async def run(self, days: int) -> int:
        """Sleep for that many days."""
        await workflow.sleep(days * 86_400)
        return days

    @workflow.query(name="ready")
    def ready(self) -> bool:
        """Answered once the first workflow task has run (the timer is set)."""
        return True
