"""The board's user tables on a new store, made by processes that start together."""

from __future__ import annotations

import asyncio

import psycopg

from api.users import UserStore
from tests.api.conftest import FAST


async def test_boards_starting_together_make_the_user_tables_once(pg_url: str) -> None:
    # Each board replica makes the tables at start-up, as `liaison users add` and the API's
    # benchmark (its board and its clerks' accounts) do; on a new store several may do it at
    # once. The benchmark failed so: "duplicate key ... pg_class_relname_nsp_index" on
    # `board_login_failure_time`.
    for _ in range(5):
        stores = [UserStore(pg_url, hasher=FAST) for _ in range(8)]  # each hashes a dummy at once
        try:
            await asyncio.gather(*(store.setup() for store in stores))
        finally:
            await asyncio.gather(*(store.close() for store in stores))
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DROP TABLE board_session, board_login_failure, board_user")
