"""Workflows that do the least a benchmark's workflows do: the dev server's own cost of the same
shape of work (in a module, not `__main__`, for the workflow sandbox)."""

from __future__ import annotations

from temporalio import workflow


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


@workflow.defn(name="Napper")
class Napper:
    """Sets a short timer and returns once it has fired: the least work a deadline falling due
    can be (a workflow task, a timer firing, a workflow task that completes)."""

    @workflow.run
    async def run(self, seconds: float) -> float:
        """Sleep that long, then end."""
        await workflow.sleep(seconds)
        return seconds
