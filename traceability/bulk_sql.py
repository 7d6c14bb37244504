"""Set-based writes for the bulk paths (R-BIND uploads of thousands of pairs per request).

Rows are plain tuples, never model instances: ids come from the tables' sequences in one round trip
(:func:`reserve_ids`), so rows that refer to each other can be written with ``COPY FROM STDIN``
(:func:`copy_rows`) in any order inside the caller's transaction; foreign keys are checked at commit.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

# COPY's text format: backslash escapes for the four characters that would end a field or a row.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@lru_cache(maxsize=8192)
def _when(value: date) -> str:
    return value.isoformat()


def copy_value(value: object) -> str:
    """One field in COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, int | Decimal | float):
        return str(value)
    if isinstance(value, datetime | date):
        return _when(value)  # a batch shares few distinct times
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    if isinstance(value, bytes | memoryview):
        return "\\\\x" + bytes(value).hex()
    return str(value).translate(_ESCAPES)


def _bool(value: bool) -> str:
    return "t" if value else "f"


def _text(value: str) -> str:
    return value.translate(_ESCAPES)


# The common types of a bulk write by exact type, so that most fields skip :func:`copy_value`'s chain of
# ``isinstance`` checks (tens of thousands of fields per request); anything else takes the general route.
_BY_TYPE: dict[type, Callable[[Any], str]] = {
    str: _text,
    int: str,
    bool: _bool,
    type(None): lambda _: "\\N",
    datetime: _when,
    date: _when,
}


def _field(value: object) -> str:
    convert = _BY_TYPE.get(type(value))
    return convert(value) if convert is not None else copy_value(value)


def copy_rows(cur: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """``COPY table (columns) FROM STDIN`` of ``rows`` through an in-memory buffer; returns the row count.

    ``cur`` is a Django cursor (its psycopg2 cursor does the copy).
    """
    buf = io.StringIO()
    n = 0
    for row in rows:
        buf.write("\t".join(map(_field, row)))
        buf.write("\n")
        n += 1
    if n:
        buf.seek(0)
        raw = getattr(cur, "cursor", cur)
        raw.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)
    return n


def copy_lines(cur: Any, table: str, columns: Sequence[str], lines: list[str]) -> int:
    """``COPY`` of rows already in COPY text format (each line ends with a newline; fields escaped with
    :func:`copy_value`), for writers that format their constant columns once per batch."""
    if lines:
        raw = getattr(cur, "cursor", cur)
        raw.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO("".join(lines)))
    return len(lines)


_sequences: dict[str, str] = {}


def reserve_ids(cur: Any, counts: dict[str, int]) -> dict[str, list[int]]:
    """``counts[table]`` fresh ids from each table's ``id`` sequence, in one query."""
    tables = [t for t, n in counts.items() if n > 0]
    missing = [t for t in tables if t not in _sequences]
    if missing:
        cur.execute("SELECT t, pg_get_serial_sequence(t, 'id') FROM unnest(%s::text[]) AS t", [missing])
        _sequences.update(cur.fetchall())
    if not tables:
        return {t: [] for t in counts}
    parts = ", ".join("ARRAY(SELECT nextval(%s::regclass) FROM generate_series(1, %s))" for _ in tables)
    params: list = []
    for table in tables:
        params += [_sequences[table], counts[table]]
    cur.execute(f"SELECT {parts}", params)  # only placeholders are interpolated
    found = dict(zip(tables, cur.fetchone(), strict=True))
    return {t: list(found.get(t, [])) for t in counts}
