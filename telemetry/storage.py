"""Writing samples: batches COPYed into the month-partitioned sample table, raw frames kept for audit, and the
partitions' upkeep. Runs in the gateway's writer process (its own database connection).

Acknowledgement rule: the gateway answers a report only after ``SampleWriter.flush`` has committed the batch
that holds it. A crash before the commit loses only unanswered reports, which the terminal keeps and reissues
(GB/T 32960.3-2016 clause 7.3), and a reissued duplicate of a stored sample is skipped by the primary key.
"""

from __future__ import annotations

import io
import logging
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg2
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from traceability import selectors as trace

from .gateway import Received
from .protocol import blocks as b
from .protocol.frame import Command

log = logging.getLogger(__name__)

BINDING_CACHE_SECONDS = 300.0
# COPY reads its buffer in chunks of this size; each chunk needs the interpreter lock, which the gateway's event
# loop holds most of the time, so few large chunks beat many small ones
COPY_CHUNK = 1 << 20
SAMPLE_COLUMNS = (
    "vin",
    "sampled_at",
    "received_at",
    "battery_id",
    "reissued",
    "vehicle_state",
    "charging_state",
    "speed_kmh",
    "mileage_km",
    "voltage_v",
    "current_a",
    "soc_pct",
    "insulation_kohm",
    "max_cell_v",
    "min_cell_v",
    "max_temp_c",
    "min_temp_c",
    "alarm_level",
    "alarm_flags",
    "longitude",
    "latitude",
)
PARTITION_PREFIX = "telemetry_sample_p"


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


def month_start(value: datetime | date) -> date:
    if isinstance(value, datetime):
        value = value.astimezone(_tz()).date()
    return value.replace(day=1)


def next_month(value: date) -> date:
    return (value.replace(day=28) + timedelta(days=4)).replace(day=1)


def partition_name(month: date) -> str:
    return f"{PARTITION_PREFIX}{month:%Y%m}"


def ensure_partition(cursor, month: date) -> str:
    """Create the partition holding ``month`` (idempotent)."""
    name = partition_name(month)
    start = datetime.combine(month, datetime.min.time(), _tz()).isoformat()
    end = datetime.combine(next_month(month), datetime.min.time(), _tz()).isoformat()
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF telemetry_sample FOR VALUES FROM (%s) TO (%s)",
        [start, end],
    )
    return name


def attached_partitions() -> list[str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry_sample' ORDER BY c.relname"
        )
        return [row[0] for row in cur.fetchall()]


def partitions_maintain(*, ahead: int, keep_months: int = 0, today: date | None = None) -> dict:
    """Create this month's and ``ahead`` upcoming partitions; detach those older than ``keep_months`` (the
    detached tables stay, for archiving or dropping by an operator)."""
    today = today or timezone.localdate()
    created, detached = [], []
    with transaction.atomic(), connection.cursor() as cur:
        month = month_start(today)
        for _ in range(ahead + 1):
            created.append(ensure_partition(cur, month))
            month = next_month(month)
        if keep_months > 0:
            oldest = month_start(today)
            for _ in range(keep_months):
                oldest = (oldest - timedelta(days=1)).replace(day=1)
            for name in attached_partitions():
                if name < partition_name(oldest):
                    cur.execute(f"ALTER TABLE telemetry_sample DETACH PARTITION {name}")
                    detached.append(name)
    return {"created": created, "detached": detached}


def raw_frames_purge(*, days: int, now: datetime | None = None, chunk: int = 50_000) -> int:
    """Delete raw frames older than ``days`` days, a chunk at a time."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    total = 0
    while True:
        with connection.cursor() as cur:
            cur.execute(
                "DELETE FROM telemetry_rawframe WHERE id IN "
                "(SELECT id FROM telemetry_rawframe WHERE received_at < %s LIMIT %s)",
                [cutoff, chunk],
            )
            total += cur.rowcount
            if cur.rowcount < chunk:
                return total


def _text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return str(value)


def sample_row(item: Received, battery_id: int | None) -> tuple:
    report = item.report
    v = report.block(b.VehicleData)
    x = report.block(b.Extremes)
    a = report.block(b.Alarms)
    p = report.block(b.Position)
    return (
        item.vin,
        report.time,
        item.received_at,
        battery_id,
        item.command == Command.REISSUE,
        v and v.vehicle_state,
        v and v.charging_state,
        v and v.speed_kmh,
        v and v.mileage_km,
        v and v.total_voltage_v,
        v and v.total_current_a,
        v and v.soc_pct,
        v and v.insulation_kohm,
        x and x.max_cell_v,
        x and x.min_cell_v,
        x and x.max_temp_c,
        x and x.min_temp_c,
        a and a.max_level,
        a and a.flags,
        p.longitude if p and p.valid else None,
        p.latitude if p and p.valid else None,
    )


class SampleWriter:
    """``flush(items)`` stores one batch in one transaction: raw frames, then samples (one COPY into the
    partitioned table; if a sample is already stored, as a reissue may be, the batch goes through a staging table
    and INSERT … ON CONFLICT DO NOTHING instead, so duplicates are skipped)."""

    def __init__(self, *, keep_raw: bool = True, synchronous_commit: bool = True):
        # synchronous_commit=False trades the last fraction of a second of acknowledged samples on a database
        # crash for fewer waits on the WAL flush; the default keeps the acknowledgement rule strict.
        self.keep_raw, self.synchronous_commit = keep_raw, synchronous_commit
        self._bindings: dict[str, tuple[float, list]] = {}
        self._months: set[date] = set()
        self.rows_written = 0

    def battery_at(self, vin: str, at: datetime) -> int | None:
        """The pack bound to ``vin`` at ``at``: the latest binding that had begun and not ended."""
        best = None
        for pack_id, bound_at, unbound_at in self._bindings.get(vin, (0, []))[1]:
            if bound_at <= at and (unbound_at is None or at < unbound_at):
                best = pack_id
        return best

    def _refresh_bindings(self, vins: set[str]) -> None:
        now = time.monotonic()
        stale = [v for v in vins if now - self._bindings.get(v, (-1e9, None))[0] > BINDING_CACHE_SECONDS]
        if stale:
            for vin, rows in trace.pack_bindings(vins=stale).items():
                self._bindings[vin] = (now, rows)

    def forget_bindings(self, vin: str | None = None) -> None:
        if vin is None:
            self._bindings.clear()
        else:
            self._bindings.pop(vin, None)

    def flush(self, items: list[Received]) -> None:
        try:
            self._flush(items)
        except Exception:
            connection.close()  # a broken connection is reopened on the next batch
            self._months.clear()
            raise

    def _flush(self, items: list[Received]) -> None:
        if not items:
            return
        reports = [i for i in items if i.report is not None]
        for item in items:
            if item.login is not None:
                self.forget_bindings(item.vin)  # a new login may follow a pack replacement
        self._refresh_bindings({i.vin for i in reports})
        with transaction.atomic(), connection.cursor() as cur:
            if not self.synchronous_commit:
                cur.execute("SET LOCAL synchronous_commit = off")
            if self.keep_raw:
                buf = io.StringIO()
                for i in items:
                    buf.write(
                        f"{i.received_at.isoformat()}\t{_text(i.vin)}\t{i.command}\t\\\\x{i.raw.hex()}\n"
                    )
                buf.seek(0)
                cur.copy_expert(
                    "COPY telemetry_rawframe (received_at, vin, command, raw) FROM STDIN", buf, COPY_CHUNK
                )
            if not reports:
                return
            for month in {month_start(i.report.time) for i in reports} - self._months:
                ensure_partition(cur, month)
                self._months.add(month)
            buf = io.StringIO()
            for i in reports:
                row = sample_row(i, self.battery_at(i.vin, i.report.time))
                buf.write("\t".join(_text(v) for v in row))
                buf.write("\n")
            text = buf.getvalue()
            columns = ", ".join(SAMPLE_COLUMNS)
            try:
                # the common case: no sample of the batch is stored yet, one COPY straight into the partitions
                with transaction.atomic():
                    cur.copy_expert(
                        f"COPY telemetry_sample ({columns}) FROM STDIN", io.StringIO(text), COPY_CHUNK
                    )
                self.rows_written += len(reports)
                return
            except (IntegrityError, psycopg2.IntegrityError):
                pass  # a reissued sample already stored: stage the batch and skip the duplicates
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS telemetry_sample_stage "
                "(LIKE telemetry_sample INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            cur.execute("TRUNCATE telemetry_sample_stage")
            cur.copy_expert(
                f"COPY telemetry_sample_stage ({columns}) FROM STDIN", io.StringIO(text), COPY_CHUNK
            )
            cur.execute(
                f"INSERT INTO telemetry_sample ({columns}) SELECT {columns} FROM telemetry_sample_stage "
                "ON CONFLICT DO NOTHING"
            )
            self.rows_written += cur.rowcount
