"""Receipt (tiếp nhận): the commune/ward committee receives a referral and names the cell; the
cell enters the member in its book."""

from __future__ import annotations

from application.use import Use
from application.work import Decision, Work, on_liaison, residence_policy
from domain import commands as cmd
from domain.cell_book import CellBook
from domain.roles import Action


def receive_at_commune(work: Work, command: cmd.ReceiveAtCommune) -> Decision:
    """The commune/ward committee receives a referral and assigns the member's cell."""
    liaison = work.liaison(command.liaison_id)
    liaison.receive_at_commune(
        work.stamp(residence_policy(work, liaison)), command.cell_id, work.tree
    )
    return Decision([liaison])


def receive_at_cell(work: Work, command: cmd.ReceiveAtCell) -> Decision:
    """The residence cell receives the member and enters them in its book."""
    liaison = work.liaison(command.liaison_id)
    stamp = work.stamp(residence_policy(work, liaison))
    liaison.receive_at_cell(stamp)
    assert liaison.state.cell_id is not None
    cell = work.tree.in_force(liaison.state.cell_id, stamp.effective_date).id
    book = work.cell_book(cell) or CellBook.open(stamp, cell)
    book.enter(stamp, liaison.id)
    return Decision([liaison, book])


USES = (
    Use(receive_at_commune, Action.RECEIVE_AT_COMMUNE, on_liaison("commune"),
        "The referral was received; the cell is named."),
    Use(receive_at_cell, Action.RECEIVE_AT_CELL, on_liaison("cell"),
        "The member was entered in the cell's book."),
)  # fmt: skip
