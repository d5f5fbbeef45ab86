"""The kept schema the board tests share is put back as it was before each of them."""

import psycopg
import pytest

from tests.conftest import new_database
from tests.kept import Kept


def test_a_kept_schema_is_put_back_whatever_a_test_did_to_it(pg_server_url: str) -> None:
    """Rows, sequences and what a test made; a session left open is ended (in a database of
    its own: it ends every other session on it)."""
    with new_database(pg_server_url) as pg_url:
        _put_back(pg_url)


def _put_back(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE unit (id text PRIMARY KEY)")
        conn.execute("CREATE TABLE member (n bigserial PRIMARY KEY, unit text REFERENCES unit)")
        conn.execute("CREATE TABLE empty (x int)")
        conn.execute("INSERT INTO unit VALUES ('C1'), ('C2')")
        conn.execute("INSERT INTO member (unit) VALUES ('C1'), ('C2')")
    kept = Kept(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO member (unit) VALUES ('C1')")
        conn.execute("DELETE FROM member WHERE n = 1")
        conn.execute("INSERT INTO empty VALUES (1)")
        conn.execute("CREATE TABLE made (x int)")
        conn.execute("CREATE INDEX made_by_a_test ON member (unit)")
        conn.execute("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        leftover = psycopg.connect(pg_url)
        leftover.execute("LOCK TABLE member IN ACCESS EXCLUSIVE MODE")  # held, not committed
    kept.restore()
    with pytest.raises(psycopg.OperationalError):
        leftover.execute("SELECT 1")
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT n, unit FROM member ORDER BY n").fetchall() == [
            (1, "C1"),
            (2, "C2"),
        ]
        assert conn.execute("SELECT count(*) FROM empty").fetchone() == (0,)
        assert conn.execute("INSERT INTO member (unit) VALUES ('C1') RETURNING n").fetchone() == (
            3,
        )
        names = {name for (name,) in conn.execute("SELECT relname FROM pg_class "
                 "WHERE relnamespace = current_schema()::regnamespace")}  # fmt: skip
        assert "made" not in names
        assert "made_by_a_test" not in names
        assert conn.execute("SELECT to_regprocedure('f()')").fetchone() == (None,)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP TABLE empty")
    with pytest.raises(AssertionError, match="a test dropped"):
        kept.restore()
