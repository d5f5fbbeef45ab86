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
