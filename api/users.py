"""Users, sessions, bearer tokens and failed sign-ins, kept in PostgreSQL beside the event store."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg import AsyncConnection, Connection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, ConfigDict

from application.accounts import one_time_password
from domain.account import AccountView
from domain.roles import Actor, Role

_HASHER = PasswordHasher()
POOL_SIZE = 4
"""Connections kept for sign-in checks: every request looks its session up, and opening a
PostgreSQL connection for each (≈ 2-8 ms here) cost more than the rest of a command."""

_DDL = (
    "CREATE TABLE IF NOT EXISTS board_user (username text PRIMARY KEY, password_hash text NOT NULL,"
    " role text NOT NULL, unit_id text NOT NULL, must_change boolean NOT NULL DEFAULT false,"
    " created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS board_session (token_hash text PRIMARY KEY,"
    " username text NOT NULL REFERENCES board_user ON DELETE CASCADE, kind text NOT NULL,"
    " csrf text NOT NULL, expires_at timestamptz NOT NULL)",
    "CREATE INDEX IF NOT EXISTS board_session_user ON board_session (username)",
    "CREATE TABLE IF NOT EXISTS board_login_failure (username text NOT NULL,"
    " address text NOT NULL, at timestamptz NOT NULL)",
    # Failures count per (user name, address) pair now; the old per-name index has no reader.
    "DROP INDEX IF EXISTS board_login_failure_at",
    "CREATE INDEX IF NOT EXISTS board_login_failure_pair"
    " ON board_login_failure (username, address, at)",
    "CREATE INDEX IF NOT EXISTS board_login_failure_time ON board_login_failure (at)",
    # Retired accounts stay (their name is never given again) but can no longer sign in.
    "ALTER TABLE board_user ADD COLUMN IF NOT EXISTS retired boolean NOT NULL DEFAULT false",
)


class UserPublic(AccountView):
    """A board user as the API shows them: never the password hash."""

    must_change: bool = False

    @property
    def actor(self) -> Actor:
        """The user as the domain's actor: the user name is their id."""
        return Actor(id=self.username, role=self.role, unit_id=self.unit_id)


class Session(BaseModel):
    """A signed-in session or bearer token: whose it is and its CSRF token."""

    model_config = ConfigDict(frozen=True)

    user: UserPublic
    kind: str
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


Pool = AsyncConnectionPool[AsyncConnection[DictRow]]


class UserStore:
    """Reads and writes the board's user tables over a small pool of connections (`close` it)."""

    def __init__(self, database_url: str, hasher: PasswordHasher | None = None) -> None:
        self.url = database_url
        self.hasher = hasher or _HASHER
        self._dummy = self.hasher.hash("no such user")  # unknown names take as long to refuse
        self._pool: Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _pool_here(self) -> Pool:
        """The pool of this event loop (a pool's connections belong to the loop that opened it)."""
        loop = asyncio.get_running_loop()
        if self._pool is None or self._loop is not loop:
            self._pool, self._loop = (
                Pool(
                    self.url,
                    connection_class=AsyncConnection[DictRow],
                    kwargs={"row_factory": dict_row, "autocommit": True},
                    min_size=1,
                    max_size=POOL_SIZE,
                    # Checked when taken, so a server restart leaves no dead connection behind.
                    check=Pool.check_connection,
                    open=False,
                ),
                loop,
            )
        return self._pool

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[AsyncConnection[DictRow]]:
        pool = self._pool_here()
        if pool.closed:  # its first use
            await pool.open()
        async with pool.connection() as conn:
            yield conn

    async def _fetch_one(self, query: str, params: tuple[Any, ...] = ()) -> DictRow | None:
        """The first row the query returns, or None."""
        async with self._connect() as conn:
            return await (await conn.execute(query, params)).fetchone()

    async def close(self) -> None:
        """Close the pool's connections (the app's shutdown; a later call opens a new pool)."""
        pool, self._pool, self._loop = self._pool, None, None
        if pool is not None:
            await pool.close()

    async def setup(self) -> None:
        """Create the tables if they are missing, one process at a time: board replicas and
        `liaison users` starting together on a new store would otherwise race in `CREATE ... IF
        NOT EXISTS` (PostgreSQL checks for the name before it takes any lock, and the second
        fails on it), as the outbox's workers would (`PostgresOutbox.create_table`)."""
        async with self._connect() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext('board_user'))"
            )
            for statement in _DDL:
                await conn.execute(statement)

    async def add(
        self, username: str, password: str, role: Role, unit_id: str, *, must_change: bool = False
    ) -> UserPublic:
        """Create a user, or reset one's password, role and unit (ending all their sessions)."""
        digest = await asyncio.to_thread(self.hasher.hash, password)
        async with self._connect() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO board_user (username, password_hash, role, unit_id, must_change)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (username) DO UPDATE SET"
                " password_hash = excluded.password_hash, role = excluded.role,"
                " unit_id = excluded.unit_id, must_change = excluded.must_change",
                (username, digest, role.value, unit_id, must_change),
            )
            await conn.execute("DELETE FROM board_session WHERE username = %s", (username,))
        return UserPublic(username=username, role=role, unit_id=unit_id, must_change=must_change)

    async def user(self, username: str) -> UserPublic | None:
        """The user of that name, or None."""
        row = await self._fetch_one(
            "SELECT username, role, unit_id, must_change, retired FROM board_user"
            " WHERE username = %s",
            (username,),
        )
        return UserPublic.model_validate(row) if row else None

    async def everyone(self) -> list[UserPublic]:
        """Every account, retired ones too, by name (a board filters those it may manage)."""
        async with self._connect() as conn:
            cur = await conn.execute(
                "SELECT username, role, unit_id, must_change, retired FROM board_user"
                " ORDER BY username"
            )
            rows = await cur.fetchall()
        return [UserPublic.model_validate(row) for row in rows]

    async def count(self) -> int:
        """How many users exist."""
        row = await self._fetch_one("SELECT count(*) AS n FROM board_user")
        return int(str(row["n"])) if row else 0

    async def first_administrator(self, unit_id: str) -> str | None:
        """On first start, create `admin` with a one-time password and return it (else None)."""
        if await self.count() > 0:
            return None
        password = one_time_password()
        await self.add("admin", password, Role.ADMINISTRATOR, unit_id, must_change=True)
        return password

    async def verify(self, username: str, password: str) -> UserPublic | None:
        """The user when the password matches, else None (in about the same time either way);
        a retired user is returned with `retired` set, for the caller to refuse by name."""
        row = await self._fetch_one(
            "SELECT username, password_hash, role, unit_id, must_change, retired"
            " FROM board_user WHERE username = %s",
            (username,),
        )
        try:
            # argon2 releases the GIL: off the event loop, a guess stalls no other request.
            await asyncio.to_thread(
                self.hasher.verify, str(row["password_hash"]) if row else self._dummy, password
            )
        except (VerificationError, InvalidHashError):
            return None
        return UserPublic.model_validate(row) if row else None

    async def change_password(self, username: str, password: str, keep: str | None) -> None:
        """Set a new password, clear the must-change flag and end every other session and token.

        `keep` is the token of the session that asked for the change (it stays open).
        """
        digest = await asyncio.to_thread(self.hasher.hash, password)
        async with self._connect() as conn, conn.transaction():
            await conn.execute(
                "UPDATE board_user SET password_hash = %s, must_change = false WHERE username = %s",
                (digest, username),
            )
            await conn.execute(
                "DELETE FROM board_session WHERE username = %s AND token_hash <> %s",
                (username, _digest(keep) if keep else ""),
            )

    async def open_session(
        self, user: UserPublic, kind: str, lifetime: timedelta, *, replacing: str | None = None
    ) -> str:
        """A new secret token for the user (only its digest is stored); `replacing` ends first."""
        token = secrets.token_urlsafe(32)
        async with self._connect() as conn, conn.transaction():
            if replacing:
                await conn.execute(
                    "DELETE FROM board_session WHERE token_hash = %s", (_digest(replacing),)
                )
            await conn.execute(
                "DELETE FROM board_session WHERE username = %s AND expires_at <= now()",
                (user.username,),
            )
            await conn.execute(
                "INSERT INTO board_session (token_hash, username, kind, csrf, expires_at)"
                " VALUES (%s, %s, %s, %s, %s)",
                (
                    _digest(token),
                    user.username,
                    kind,
                    secrets.token_urlsafe(24),
                    datetime.now(UTC) + lifetime,
                ),
            )
        return token

    async def session(self, token: str, kind: str) -> Session | None:
        """The live session or token of that kind, or None."""
        row = await self._fetch_one(
            "SELECT u.username, u.role, u.unit_id, u.must_change, s.kind, s.csrf"
            " FROM board_session s JOIN board_user u USING (username)"
            " WHERE s.token_hash = %s AND s.kind = %s AND s.expires_at > now()"
            " AND NOT u.retired",
            (_digest(token), kind),
        )
        if row is None:
            return None
        return Session(user=UserPublic.model_validate(row), kind=kind, csrf=str(row["csrf"]))

    async def close_session(self, token: str) -> None:
        """End a session or revoke a token."""
        async with self._connect() as conn:
            await conn.execute("DELETE FROM board_session WHERE token_hash = %s", (_digest(token),))

    async def end_sessions(self, username: str) -> int:
        """End every session and token of the user; how many there were."""
        async with self._connect() as conn:
            cur = await conn.execute("DELETE FROM board_session WHERE username = %s", (username,))
        return cur.rowcount

    async def attempt(
        self, username: str, address: str, window: timedelta, wait: Callable[[int, float], float]
    ) -> float:
        """Seconds this (user name, address) pair must still wait, or 0 to let it try now.

        `wait` turns the pair's failures within the window and the seconds since the last one
        into a wait. An attempt let through is noted at once as a failure (`forgive` clears it on
        success) under a lock of the pair, so that concurrent guesses cannot slip past the wait.
        """
        key = int.from_bytes(hashlib.sha256(f"{username}\n{address}".encode()).digest()[:8])
        async with self._connect() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (key - 2**63,))
            cur = await conn.execute(
                "SELECT count(*) AS n, extract(epoch FROM now() - max(at)) AS since"
                " FROM board_login_failure"
                " WHERE username = %s AND address = %s AND at > now() - %s",
                (username, address, window),
            )
            row = await cur.fetchone()
            failures = int(row["n"]) if row else 0
            since = float(row["since"]) if row and row["since"] is not None else 0.0
            seconds = wait(failures, since)
            if seconds > 0:
                return seconds
            await conn.execute("DELETE FROM board_login_failure WHERE at <= now() - %s", (window,))
            await conn.execute(
                "INSERT INTO board_login_failure (username, address, at) VALUES (%s, %s, now())",
                (username, address),
            )
        return 0.0

    async def forgive(self, username: str, address: str) -> None:
        """Forget the pair's failures (its password was right)."""
        async with self._connect() as conn:
            await conn.execute(
                "DELETE FROM board_login_failure WHERE username = %s AND address = %s",
                (username, address),
            )


class AccountRows:
    """The account table as the application's `AccountTable` port: short synchronous writes on
    a connection of their own (administrative acts are rare), run in the command's thread."""

    def __init__(self, database_url: str, hasher: PasswordHasher | None = None) -> None:
        self.url = database_url
        self.hasher = hasher or _HASHER
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[Connection[DictRow]]:
        with psycopg.connect(self.url, row_factory=dict_row, autocommit=True) as conn:
            if not self._ready:
                for statement in _DDL:
                    conn.execute(statement)
                self._ready = True
            yield conn

    def find(self, username: str) -> AccountView | None:
        """The account of that name, retired or not, or None."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT username, role, unit_id, retired FROM board_user WHERE username = %s",
                (username,),
            ).fetchone()
        return AccountView.model_validate(row) if row else None

    def open(self, account: AccountView, password: str) -> None:
        """Create the account with a one-time password (a name taken meanwhile is left alone)."""
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO board_user (username, password_hash, role, unit_id, must_change)"
                " VALUES (%s, %s, %s, %s, true) ON CONFLICT (username) DO NOTHING",
                (account.username, self.hasher.hash(password), account.role.value,
                 account.unit_id),
            )  # fmt: skip

    def reset(self, username: str, password: str) -> None:
        """Set a one-time password; every session and token of the account ends."""
        self._change(
            "UPDATE board_user SET password_hash = %s, must_change = true"
            " WHERE username = %s AND NOT retired",
            (self.hasher.hash(password), username),
            username,
        )

    def reassign(self, account: AccountView) -> None:
        """Set the account's role and unit; every session and token of the account ends."""
        self._change(
            "UPDATE board_user SET role = %s, unit_id = %s WHERE username = %s AND NOT retired",
            (account.role.value, account.unit_id, account.username),
            account.username,
        )

    def retire(self, username: str) -> None:
        """Retire the account; every session and token of the account ends at once."""
        self._change("UPDATE board_user SET retired = true WHERE username = %s", (username,),
                     username)  # fmt: skip

    def _change(self, statement: str, params: tuple[str, ...], username: str) -> None:
        with self._connect() as conn, conn.transaction():
            conn.execute(statement, params)
            conn.execute("DELETE FROM board_session WHERE username = %s", (username,))
