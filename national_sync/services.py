"""Writes of the national sync (R-SHARE): the transactional outbox, the sender, dead letters and
reconciliation with the national traceability platform (溯源管理暂行规定, 四(二)1-2 of the pilot plan)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection, connections, transaction
from django.utils import timezone

from accounts.models import User
from core.audit import audit_log

from . import conf, ratelimit
from .canonical import backoff_delay, canonical_json, shard_of
from .client import (
    NationalPlatformClient,
    OutgoingRecord,
    PermanentError,
    TransientError,
    get_client,
)
from .field_map import MappedRecord, map_records
from .models import OutboxRecord, OutboxStatus, ReconciliationRun, SendAttempt, SyncShard

log = logging.getLogger(__name__)

OUTBOX = OutboxRecord._meta.db_table
SHARDS = SyncShard._meta.db_table


# ---------------------------------------------------------------------------------------------- outbox


def outbox_records_write(kind: str, records: Sequence[Any]) -> int:
    """Receiver of ``core.hooks.records_written``: queue ``records`` in the writer's transaction.

    One INSERT for the whole call (a bulk binding upload writes thousands of rows per request). A rollback
    of the writer removes these rows with it: nothing is sent that was not committed.
    """
    return outbox_rows_insert(rows=map_records(kind, list(records)))


def outbox_rows_insert(*, rows: Sequence[MappedRecord]) -> int:
    """Insert mapped rows in one statement. The same record with the same content is queued once.

    Column arrays through ``unnest`` rather than ``bulk_create``: a bulk upload's thousands of rows cost one
    round trip and no per-row model instances.
    """
    if not rows:
        return 0
    source, shards = conf.get("NATIONAL_SYNC_SOURCE"), conf.get("NATIONAL_SYNC_SHARDS")
    cols: dict[str, list] = {
        name: []
        for name in (
            "kind",
            "object_id",
            "partition_key",
            "shard",
            "region",
            "idempotency_key",
            "payload",
            "payload_hash",
        )
    }
    for row in rows:
        body = canonical_json(row.data)
        digest = hashlib.sha256(body.encode()).hexdigest()
        cols["kind"].append(row.kind)
        cols["object_id"].append(row.object_id[:64])
        cols["partition_key"].append(row.partition_key[:80])
        cols["shard"].append(shard_of(row.partition_key, shards))
        cols["region"].append(row.region)
        cols["idempotency_key"].append(f"{source}-{row.kind}-{row.object_id}-{digest[:16]}"[:160])
        cols["payload"].append(body)
        cols["payload_hash"].append(digest)
    values = list(cols.values())
    joined = [_SEP.join(map(str, v)) for v in values] if len(rows) >= _JOINED_FROM else []
    if joined and all(j.count(_SEP) == len(rows) - 1 for j in joined):
        # A bulk call sends each column as one string that the server splits: adapting tens of thousands of array
        # elements one by one costs more client time than the insert itself. Used only when no value holds the
        # separator (JSON text never holds a raw control character).
        arrays = ", ".join(["string_to_array(%s, E'\\x1f')"] * len(values))
        values = joined
    else:
        arrays = "%s::varchar[], %s::varchar[], %s::varchar[], %s::int[], %s::varchar[], %s::varchar[], " \
                 "%s::text[], %s::varchar[]"  # fmt: skip
    with connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO {OUTBOX} (kind, object_id, partition_key, shard, region, idempotency_key, payload,
                                  payload_hash, record_day, status, attempts, last_error, created_at)
            SELECT k, o, p, s::int, r, i, pl::jsonb, h, %s, 'pending', 0, '', %s
            FROM unnest({arrays}) AS t(k, o, p, s, r, i, pl, h)
            ON CONFLICT (idempotency_key) DO NOTHING
            """,  # only placeholders are interpolated
            [timezone.localdate(), timezone.now(), *values],
        )
    return len(rows)


_SEP = "\x1f"  # ASCII unit separator
# Rows; below this the arrays are cheap (and a one-row empty string would split to no element at all).
_JOINED_FROM = 64


# ---------------------------------------------------------------------------------------------- sender


@dataclass
class DrainReport:
    batches: int = 0
    sent: int = 0
    failed_batches: int = 0
    dead: int = 0
    shards: set[int] = field(default_factory=set)


_shards_ready = False


def _shards_ensure() -> None:
    global _shards_ready
    if not _shards_ready:
        n = conf.get("NATIONAL_SYNC_SHARDS")
        past = timezone.now() - timedelta(
            days=1
        )  # no clock skew between app and database can delay a new shard
        SyncShard.objects.bulk_create(
            [SyncShard(id=i, next_attempt_at=past) for i in range(n)], ignore_conflicts=True
        )
        _shards_ready = True


def shard_claim(*, owner: str) -> int | None:
    """Lease one shard with pending work whose backoff has passed; ``None`` when there is none.

    SKIP LOCKED lets several workers claim different shards at once; the lease expiry hands the shard of a
    killed worker to the next one.
    """
    _shards_ensure()
    with connection.cursor() as cur:
        cur.execute(
            f"""
            UPDATE {SHARDS} s SET lease_owner = %s, lease_expires_at = clock_timestamp() + %s * interval '1 second',
                   last_claimed_at = clock_timestamp()
            WHERE s.id = (
                SELECT c.id FROM {SHARDS} c
                WHERE (c.lease_expires_at IS NULL OR c.lease_expires_at < clock_timestamp())
                  AND c.next_attempt_at <= clock_timestamp()
                  AND EXISTS (SELECT 1 FROM {OUTBOX} o WHERE o.shard = c.id AND o.status = 'pending')
                ORDER BY c.last_claimed_at NULLS FIRST
                LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING s.id
            """,
            [owner, conf.get("NATIONAL_SYNC_LEASE_SECONDS")],
        )
        row = cur.fetchone()
    return row[0] if row else None


def shard_renew(*, shard: int, owner: str) -> bool:
    """Extend the lease; ``False`` when another worker has taken the shard over (ours expired)."""
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {SHARDS} SET lease_expires_at = clock_timestamp() + %s * interval '1 second' "
            f"WHERE id = %s AND lease_owner = %s",
            [conf.get("NATIONAL_SYNC_LEASE_SECONDS"), shard, owner],
        )
        return cur.rowcount == 1


def shard_release(*, shard: int, owner: str, delay: float = 0.0, failed: bool = False) -> None:
    with connection.cursor() as cur:
        cur.execute(
            f"""
            UPDATE {SHARDS} SET lease_owner = '', lease_expires_at = NULL,
                   next_attempt_at = clock_timestamp() + %s * interval '1 second',
                   failures = CASE WHEN %s THEN failures + 1 ELSE 0 END
            WHERE id = %s AND lease_owner = %s
            """,
            [delay, failed, shard, owner],
        )


def _shard_failures(shard: int) -> int:
    return SyncShard.objects.filter(pk=shard).values_list("failures", flat=True).first() or 0


def _pending_batch(shard: int, limit: int) -> tuple[list[OutgoingRecord], dict[str, int]]:
    """The oldest pending records of a shard, in id order, skipping batteries held behind a dead letter
    (sending their later records would break the order per battery upstream)."""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT id, idempotency_key, kind, partition_key, record_day, payload, payload_hash
            FROM {OUTBOX}
            WHERE shard = %s AND status = 'pending'
              AND partition_key NOT IN (SELECT partition_key FROM {OUTBOX} WHERE shard = %s AND status = 'dead')
            ORDER BY id LIMIT %s
            """,
            [shard, shard, limit],
        )
        rows = cur.fetchall()
    batch = [
        OutgoingRecord(key=k, kind=kind, partition=p, day=d.isoformat(),
                       data=data if isinstance(data, dict) else json.loads(data), hash=h)
        for _, k, kind, p, d, data, h in rows
    ]  # fmt: skip
    return batch, {row[1]: row[0] for row in rows}


def _mark_sent(ids: Sequence[int]) -> None:
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {OUTBOX} SET status = 'sent', sent_at = clock_timestamp(), attempts = attempts + 1 "
            f"WHERE id = ANY(%s) AND status = 'pending'",
            [list(ids)],
        )


def _mark_failed(ids: Sequence[int], error: str, *, dead_now: bool = False) -> int:
    """Count a failed attempt; records reaching the attempt limit (or refused for good) become dead letters."""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            UPDATE {OUTBOX} SET attempts = attempts + 1, last_error = %s,
                   status = CASE WHEN %s OR attempts + 1 >= %s THEN 'dead' ELSE status END
            WHERE id = ANY(%s) AND status = 'pending'
            RETURNING status
            """,
            [error[:2000], dead_now, conf.get("NATIONAL_SYNC_MAX_ATTEMPTS"), list(ids)],
        )
        return sum(1 for (status,) in cur.fetchall() if status == "dead")


def outbox_drain(
    *, budget_seconds: float | None = None, client: NationalPlatformClient | None = None
) -> DrainReport:
    """Send pending records until none is claimable or the time budget is spent (one Celery task's work).

    Per shard: lease, then batches in id order; a batch is marked sent only on acknowledgement. A failed
    batch puts the shard into exponential backoff with jitter and counts an attempt on each record.
    """
    client = client or get_client()
    budget = conf.get("NATIONAL_SYNC_DRAIN_SECONDS") if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    threads = conf.get("NATIONAL_SYNC_THREADS")
    if threads <= 1:
        return _drain_loop(deadline, client)
    # Several shards at once per process: one thread's batch is on the wire while another's is written.
    with ThreadPoolExecutor(max_workers=threads) as pool:
        reports = list(pool.map(lambda _: _drain_thread(deadline, client), range(threads)))
    total = DrainReport()
    for r in reports:
        total.batches += r.batches
        total.sent += r.sent
        total.failed_batches += r.failed_batches
        total.dead += r.dead
        total.shards |= r.shards
    return total


def _drain_thread(deadline: float, client: NationalPlatformClient) -> DrainReport:
    try:
        return _drain_loop(deadline, client)
    finally:
        connections.close_all()  # this thread's own connections


def _drain_loop(deadline: float, client: NationalPlatformClient) -> DrainReport:
    batch_size = conf.get("NATIONAL_SYNC_BATCH_SIZE")
    report = DrainReport()
    with connection.cursor() as cur:
        # The sender's writes may be lost in a database crash without harm: a record not marked sent is sent
        # again and absorbed upstream by its idempotency key; a lost lease expires. No need to wait for fsync.
        cur.execute("SET synchronous_commit TO off")
    while time.monotonic() < deadline:
        owner = uuid.uuid4().hex
        shard = shard_claim(owner=owner)
        if shard is None:
            # Work may only be waiting out a backoff: wait for it here rather than for the next dispatch.
            wait = _next_backoff_end()
            if wait is None or wait > min(5.0, deadline - time.monotonic()):
                break
            time.sleep(max(wait, 0.01))
            continue
        report.shards.add(shard)
        delay, failed = 0.0, False
        try:
            while time.monotonic() < deadline:
                batch, ids = _pending_batch(shard, batch_size)
                if not batch:
                    delay = 10.0  # only records held behind dead letters: look again later
                    break
                ratelimit.acquire(len(batch))
                if not shard_renew(shard=shard, owner=owner):
                    break
                ok, dead = _send_one(shard, batch, ids, client, report)
                report.dead += dead
                if not ok:
                    failed = True
                    delay = backoff_delay(
                        _shard_failures(shard) + 1,
                        base=conf.get("NATIONAL_SYNC_BACKOFF_BASE"),
                        cap=conf.get("NATIONAL_SYNC_BACKOFF_CAP"),
                    )
                    break
        finally:
            shard_release(shard=shard, owner=owner, delay=delay, failed=failed)
    return report


def _send_one(
    shard: int, batch: list[OutgoingRecord], ids: dict[str, int], client: NationalPlatformClient,
    report: DrainReport,
) -> tuple[bool, int]:  # fmt: skip
    started, t0 = timezone.now(), time.monotonic()
    error, dead, acked = "", 0, 0
    try:
        result = client.send_batch(batch)
    except (TransientError, PermanentError) as exc:
        error = f"{exc.__class__.__name__}: {exc}"
        dead = _mark_failed(list(ids.values()), error)
    else:
        acked = len(result.acknowledged)
        if result.acknowledged:
            _mark_sent([ids[k] for k in result.acknowledged])
        for key, reason in result.rejected.items():
            dead += _mark_failed([ids[key]], f"rejected: {reason}", dead_now=True)
        refused = {r.partition for r in batch if r.key in result.rejected}
        # Records held behind a refused one of the same battery are not failures: they wait for the operator.
        missing = [ids[r.key] for r in batch if r.key not in result.acknowledged and r.key not in result.rejected
                   and r.partition not in refused]  # fmt: skip
        if missing:
            error = f"{len(missing)} record(s) not acknowledged"
            dead += _mark_failed(missing, error)
    ok = not error
    SendAttempt.objects.create(
        started_at=started, shard=shard, records=len(batch), acknowledged=acked, ok=ok,
        duration_ms=int((time.monotonic() - t0) * 1000), error=error[:2000],
    )  # fmt: skip
    report.batches += 1
    report.sent += acked
    report.failed_batches += 0 if ok else 1
    if error:
        log.warning("national sync: shard %s batch of %s failed: %s", shard, len(batch), error)
    return ok, dead


def _next_backoff_end() -> float | None:
    """Seconds until the first free shard with pending work leaves its backoff; ``None`` if there is none."""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT extract(epoch FROM min(c.next_attempt_at) - clock_timestamp()) FROM {SHARDS} c
            WHERE (c.lease_expires_at IS NULL OR c.lease_expires_at < clock_timestamp())
              AND EXISTS (SELECT 1 FROM {OUTBOX} o WHERE o.shard = c.id AND o.status = 'pending')
            """
        )
        value = cur.fetchone()[0]
    return None if value is None else float(value)


def claimable_shards() -> int:
    """Shards with pending work, free and out of backoff: how many drain tasks would find work."""
    _shards_ensure()
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT count(*) FROM {SHARDS} c
            WHERE (c.lease_expires_at IS NULL OR c.lease_expires_at < clock_timestamp()) AND c.next_attempt_at <= clock_timestamp()
              AND EXISTS (SELECT 1 FROM {OUTBOX} o WHERE o.shard = c.id AND o.status = 'pending')
            """
        )
        return cur.fetchone()[0]


# ---------------------------------------------------------------------------------------------- dead letters


@transaction.atomic
def outbox_dead_letter_retry(*, actor: User, ids: Sequence[int] | None = None) -> int:
    """Put dead letters (all, or ``ids``) back in the queue with a fresh attempt count."""
    qs = OutboxRecord.objects.filter(status=OutboxStatus.DEAD)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    picked = list(qs.select_for_update().values_list("pk", "shard"))
    if not picked:
        return 0
    OutboxRecord.objects.filter(pk__in=[pk for pk, _ in picked]).update(
        status=OutboxStatus.PENDING, attempts=0
    )
    SyncShard.objects.filter(pk__in={s for _, s in picked}).update(next_attempt_at=timezone.now(), failures=0)
    audit_log(
        actor=actor,
        action="national_sync.dead_letter_retry",
        object_type="national_sync.outboxrecord",
        object_id=str(picked[0][0]) if len(picked) == 1 else "",
        changes={"count": len(picked), "ids": [pk for pk, _ in picked[:100]]},
    )
    return len(picked)


# ---------------------------------------------------------------------------------------------- reconciliation


def _local_summaries(since: date, until: date) -> dict[tuple[date, str], tuple[int, str]]:
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT record_day, kind, count(*),
                   encode(sha256(convert_to(string_agg(idempotency_key || ':' || payload_hash, E'\\n'
                          ORDER BY idempotency_key COLLATE "C"), 'UTF8')), 'hex')
            FROM {OUTBOX} WHERE status = 'sent' AND record_day BETWEEN %s AND %s
            GROUP BY record_day, kind
            """,
            [since, until],
        )
        return {(d, k): (n, h) for d, k, n, h in cur.fetchall()}


def reconciliation_run(
    *, since: date | None = None, until: date | None = None, client: NationalPlatformClient | None = None,
    requeue: bool = True,
) -> ReconciliationRun:  # fmt: skip
    """Compare counts and digests per day and kind with the platform; re-queue what it is missing.

    Records sent here but absent upstream go back to pending (their idempotency keys make a resend
    harmless); records present with another payload hash are counted as conflicts for an operator.
    """
    client = client or get_client()
    until = until or timezone.localdate()
    since = since or until - timedelta(days=6)
    run = ReconciliationRun(since=since, until=until)
    try:
        upstream = {
            (s.day, s.kind): (s.count, s.digest) for s in client.day_summaries(since=since, until=until)
        }
    except (TransientError, PermanentError) as exc:
        run.error = str(exc)[:2000]
        run.save()
        return run
    local = _local_summaries(since, until)
    run.days_compared = len(set(local) | set(upstream))
    for day, kind in sorted(set(local) | set(upstream)):
        mine, theirs = local.get((day, kind), (0, "")), upstream.get((day, kind), (0, ""))
        if mine == theirs:
            continue
        entry = {"day": day.isoformat(), "kind": kind, "local": mine[0], "upstream": theirs[0]}
        keys_up = client.day_keys(day=day, kind=kind)
        sent = dict(
            OutboxRecord.objects.filter(status=OutboxStatus.SENT, record_day=day, kind=kind).values_list(
                "idempotency_key", "payload_hash"
            )
        )
        missing = [k for k in sent if k not in keys_up]
        conflicts = [k for k, h in sent.items() if k in keys_up and keys_up[k] != h]
        entry.update(missing=len(missing), conflicts=len(conflicts))
        run.conflicts += len(conflicts)
        if requeue and missing:
            with transaction.atomic():
                n = OutboxRecord.objects.filter(idempotency_key__in=missing, status=OutboxStatus.SENT).update(
                    status=OutboxStatus.PENDING, attempts=0, sent_at=None,
                    last_error="re-queued by reconciliation: missing upstream",
                )  # fmt: skip
            run.requeued += n
        run.mismatches.append(entry)
    run.save()
    audit_log(actor=None, action="national_sync.reconcile", obj=run,
              changes={"mismatches": len(run.mismatches), "requeued": run.requeued})  # fmt: skip
    return run
