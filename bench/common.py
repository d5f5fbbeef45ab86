"""What every benchmark shares: a scratch schema on the bench PostgreSQL and one way to print."""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from application.office import LiaisonOffice
from projections.catalog import MODELS
from projections.runner import Projector
from workers.bootstrap import persistence_env
from workers.province import demo

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def bench_url() -> str:
    """The PostgreSQL to measure: LIAISON_BENCH_DATABASE_URL, else the test server, else local."""
    return (
        os.environ.get("LIAISON_BENCH_DATABASE_URL")
        or os.environ.get("LIAISON_TEST_DATABASE_URL")
        or DEFAULT_URL
    )


def _admin(url: str, statement: str, name: str) -> None:
    """Run one DDL statement naming `name` (quoted as an identifier) outside a transaction."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


def _new_schema(url: str, prefix: str = "bench") -> str:
    """A fresh schema (its caller drops it)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _admin(url, "CREATE SCHEMA {}", name)
    return name


@contextmanager
def _scratch(url: str, create: str, drop: str, prefix: str) -> Iterator[str]:
    """A fresh name made by `create`, removed by `drop` afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _admin(url, create, name)
    try:
        yield name
    finally:
        _admin(url, drop, name)


@contextmanager
def scratch_schema(url: str, prefix: str = "bench") -> Iterator[str]:
    """A fresh schema, dropped afterwards."""
    with _scratch(url, "CREATE SCHEMA {}", "DROP SCHEMA {} CASCADE", prefix) as schema:
        yield schema


@contextmanager
def scratch_database(url: str, prefix: str = "bench") -> Iterator[str]:
    """A fresh database on the same server (for processes that only take a URL), dropped after."""
    drop = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
    with _scratch(url, "CREATE DATABASE {}", drop, prefix) as name:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of the values; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def rss_mib(pid: int) -> float:
    """Resident set size of a process from /proc, in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def office_on(url: str, schema: str) -> LiaisonOffice:
    """The domain application on that schema."""
    return LiaisonOffice(env=persistence_env(url, schema), clock=lambda: datetime.now(UTC))


@dataclass
class _Shared:
    """While `sharing()` runs (`on`): the schema holding each demo province imported so far, by
    its (server, members, seed, last day)."""

    on: bool = False
    schemas: dict[tuple[str, int, int, date], str] = field(default_factory=dict)


_SHARED = _Shared()


@contextmanager
def sharing(url: str) -> Iterator[None]:
    """Benchmarks run inside share one import of each demo province (`python -m bench`: the
    import is measured once, then the catch-up, inspections and searches read the same store;
    at 300,000 members an import takes about twenty minutes). Its schemas are dropped at the end."""
    _SHARED.on = True
    try:
        yield
    finally:
        kept, _SHARED.on, _SHARED.schemas = _SHARED.schemas, False, {}
        for schema in kept.values():
            _admin(url, "DROP SCHEMA {} CASCADE", schema)


@contextmanager
def province_schema(url: str, members: int, seed: int, until: date) -> Iterator[str]:
    """A new schema to import that province into: within `sharing()` kept for the benchmarks that
    follow (unless the work in it failed: a half-imported store is no store to measure), else
    dropped at the end."""
    key = (url, members, seed, until)
    schema = _new_schema(url)
    keep = False
    try:
        yield schema
        keep = _SHARED.on and key not in _SHARED.schemas
    finally:
        if keep:
            _SHARED.schemas[key] = schema
        else:
            _admin(url, "DROP SCHEMA {} CASCADE", schema)


@contextmanager
def imported_province(url: str, members: int, seed: int, until: date) -> Iterator[str]:
    """A schema holding the demo province imported (read models, if any, at whatever position an
    earlier benchmark left them): the shared one within `sharing()`, else a scratch one."""
    key = (url, members, seed, until)
    if key in _SHARED.schemas:
        print(f"(the {members:,}-member province imported earlier in this run)", flush=True)
        yield _SHARED.schemas[key]
        return
    province = demo.generate(members, seed, until)
    with province_schema(url, members, seed, until) as schema:
        office = office_on(url, schema)
        try:
            report = demo.load(office, province)
        finally:
            office.close()  # its connection pool: the measuring that follows opens its own
        print(f"{members:,} members imported: {report.events:,} events", flush=True)
        # Not held while the benchmark measures: at 50,000 members this process's collections of
        # its millions of objects took about a second each, inside the timed searches.
        del province
        yield schema


@contextmanager
def projected_province(
    url: str, members: int, seed: int, until: date, read_models: Sequence[str], label: str
) -> Iterator[str]:
    """A schema holding a demo province, imported, with these read models caught up."""
    with imported_province(url, members, seed, until) as schema:
        models = [MODELS[name]() for name in read_models]
        projector = Projector(persistence_env(url, schema), models)
        try:
            started = time.perf_counter()
            done = projector.catch_up()
            caught_up = time.perf_counter() - started
        finally:
            projector.close()
        print(
            f"{label}: {members:,} members, {done:,} events projected in {caught_up:.1f} s",
            flush=True,
        )
        yield schema


@dataclass(frozen=True)
class Figure:
    """One measured figure beside the raw limit measured in the same run."""

    name: str
    value: float
    unit: str
    raw_name: str = ""
    raw_value: float = 0.0
    target: float | None = None  # minimum ratio (or maximum seconds when unit is "s")
    ceiling: float | None = None  # maximum value, in the figure's unit (latencies, durations)

    @property
    def ratio(self) -> float | None:
        """Figure over raw limit."""
        return self.value / self.raw_value if self.raw_value else None

    def line(self) -> str:
        """The printed line: figure, raw limit, ratio, target verdict."""
        text = f"{self.name}: {self.value:,.1f} {self.unit}"
        if self.raw_value:
            text += f" | raw {self.raw_name}: {self.raw_value:,.1f} | ratio {self.ratio:.0%}"
        if self.target is not None and self.ratio is not None:
            text += (
                f" | target ≥ {self.target:.0%}: {'met' if self.ratio >= self.target else 'MISSED'}"
            )
        if self.ceiling is not None:
            verdict = "met" if self.value < self.ceiling else "MISSED"
            text += f" | target < {self.ceiling:,.0f} {self.unit}: {verdict}"
        return text


@dataclass(frozen=True)
class Timed(Figure):
    """A time beside the raw time, with the most allowed (`limit`); each benchmark says how it
    prints the value, the raw value and how many times the raw it is."""

    value_format: ClassVar[str]
    raw_format: ClassVar[str]
    times_format: ClassVar[str]

    @property
    def limit(self) -> float | None:
        """The most allowed, in the figure's unit."""
        return self.ceiling

    def line(self) -> str:
        """The printed line: the time, the raw time, how many times the raw, target verdict."""
        text = f"{self.name}: {self.value_format.format(self.value)} {self.unit}"
        if self.raw_value:
            raw = self.raw_format.format(self.raw_value)
            times = self.times_format.format(self.value / self.raw_value)
            text += f" | raw {self.raw_name}: {raw} {self.unit} | {times}"
        if self.limit is not None:
            verdict = "met" if self.value < self.limit else "MISSED"
            text += f" | target < {self.limit:g} {self.unit}: {verdict}"
        return text


def count_option(doc: str | None, option: str, default: int, help: str) -> int:
    """Parse a benchmark's one command-line option, a count (`--members N`), and return it."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument(option, type=int, default=default, help=help)
    return int(getattr(parser.parse_args(), option.removeprefix("--").replace("-", "_")))


def run_alone(run: Callable[[str, int], object], argv: Sequence[str]) -> None:
    """`python -m bench.bench_X [MEMBERS]`: one benchmark at that size (default 50,000)."""
    run(bench_url(), int(argv[1]) if len(argv) > 1 else 50_000)


def show(figures: list[Figure]) -> list[Figure]:
    """Print the figures and hand them back."""
    for f in figures:
        print(f.line(), flush=True)
    return figures
