"""Binary COPY that stores what text COPY stored: psycopg's dumpers, three of them replaced.

Binary COPY costs a quarter of the client's time that text COPY costs per row (text formats and
escapes every value). PostgreSQL applies no cast to binary input, so each column's type is given
(`Copy.set_types`), and for three types psycopg's binary dumper would not store what PostgreSQL
makes of the same value sent as text:

- `int4`: psycopg's wraps an int out of range (2**31 is stored as -2**31); as text, PostgreSQL
  refuses it. Here it is refused too, before it is sent (an event's values, like the server's
  data exceptions: the runner then folds that batch event by event and skips the event).
- `timestamptz`: psycopg's raises on a naive datetime; as text, PostgreSQL reads it in the
  session's time zone. Here it is read there too, the way PostgreSQL settles the hours a
  daylight-saving change skips or repeats.
- `jsonb`: psycopg's serialises a Python object; the models hand over JSON text already.

A fourth, `text[]`, is replaced for speed alone (it writes the same bytes as psycopg's).
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, tzinfo
from typing import Any

import psycopg
from psycopg import postgres
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Dumper
from psycopg.pq import Format

_INT4 = struct.Struct("!i")
_JSONB_VERSION = b"\x01"


class _Int4(Dumper):
    """An int4 column's value, refused out of range (`struct.error`) as PostgreSQL refuses text."""

    format = Format.BINARY
    oid = postgres.types["int4"].oid

    def dump(self, obj: int) -> Buffer:
        return _INT4.pack(obj)


class _Timestamptz(Dumper):
    """A timestamptz column's value; a naive one is read in the session's time zone."""

    format = Format.BINARY
    oid = postgres.types["timestamptz"].oid

    def __init__(self, cls: type, context: AdaptContext | None = None) -> None:
        super().__init__(cls, context)
        aware = psycopg.adapters.get_dumper_by_oid(self.oid, Format.BINARY)
        self._aware = aware(datetime, context)
        self._zone: tzinfo = self.connection.info.timezone if self.connection else UTC

    def dump(self, obj: datetime) -> Buffer | None:
        try:
            return self._aware.dump(obj)
        except TypeError:  # no offset: psycopg's cannot subtract it from its (aware) epoch
            return self._aware.dump(as_postgres_reads(obj.replace(tzinfo=None), self._zone))


class _JsonText(Dumper):
    """A jsonb column's value given as JSON text (PostgreSQL parses it, as it parses text)."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: str) -> Buffer:
        return _JSONB_VERSION + obj.encode()


class _TextArray(Dumper):
    """A text[] column's value: a list of str (or None) written directly, without the walk of
    psycopg's dumper (any depth, any element type) that costs twice as much."""

    format = Format.BINARY
    oid = postgres.types.get_oid("text[]")

    def dump(self, obj: list[str | None]) -> Buffer:
        if not obj:
            return _EMPTY_TEXT_ARRAY
        parts = [b""]
        nulls = 0
        for item in obj:
            if item is None:
                parts.append(_NULL_ITEM)
                nulls = 1
            else:
                data = item.encode()
                parts += (_INT4.pack(len(data)), data)
        # dimensions, whether any element is null, element type; length and lower bound
        parts[0] = _ARRAY_HEAD.pack(1, nulls, _TEXT_OID, len(obj), 1)
        return b"".join(parts)


_TEXT_OID = postgres.types["text"].oid
_ARRAY_HEAD = struct.Struct("!iiiii")
_EMPTY_TEXT_ARRAY = struct.pack("!iii", 0, 0, _TEXT_OID)
_NULL_ITEM = _INT4.pack(-1)
_DUMPERS = (_Int4, _Timestamptz, _JsonText, _TextArray)


def as_postgres_reads(moment: datetime, zone: tzinfo) -> datetime:
    """A naive time in that zone as PostgreSQL reads it as text: an hour a daylight-saving change
    skips takes the offset from before the change, an hour it repeats the offset from after it
    (PostgreSQL's manual, B.2)."""
    early, late = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early
    exists = early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == moment
    return late if exists else early


def register(cur: Any) -> None:
    """Have this cursor's binary COPY use the dumpers above (by column type, `Copy.set_types`).

    The cursor's own map of adapters changes: the pooled connection's stays as it was."""
    for dumper in _DUMPERS:
        cur.adapters.register_dumper(None, dumper)
