"""The national-platform simulator: wire protocol, storage and fault injection.

Protocol (JSON over HTTP, ``Authorization: Bearer <token>`` when a token is configured):

- ``POST /api/v1/records/batch`` ``{"records": [{"key", "kind", "partition", "day", "hash", "data"}]}`` →
  200 ``{"acks": [{"key", "result": "stored"|"duplicate"}], "rejected": [{"key", "error"}]}``; records after a
  refused one of the same partition are neither stored nor acknowledged (held), so order per battery holds
- ``GET /api/v1/summary?since=&until=`` → ``{"days": [{"day", "kind", "count", "digest"}]}``
- ``GET /api/v1/keys?day=&kind=`` → ``{"keys": [{"key", "hash"}]}``
- ``GET|POST /admin/faults``, ``POST /admin/reset``, ``GET /admin/stats``, ``GET /healthz``
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import re
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import psycopg2
import psycopg2.extras
import psycopg2.pool

from national_sync.canonical import canonical_json

SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
MAX_BATCH = 10000


@dataclass
class Faults:
    """What goes wrong, and how often. Rates are fractions of batch requests (0..1)."""

    error_rate: float = 0.0  # answer 503; half of these after storing (the acknowledgement is lost)
    timeout_rate: float = 0.0  # store, then hang for hang_seconds so that the client times out
    hang_seconds: float = 30.0
    slow_rate: float = 0.0  # answer after slow_seconds
    slow_seconds: float = 2.0
    delay_min: float = 0.0  # every batch waits uniform(delay_min, delay_max)
    delay_max: float = 0.0
    duplicate_ack_rate: float = 0.0  # acknowledge every record twice
    outage_until: float = 0.0  # epoch seconds: 503 to everything before this time
    outage_from: float = 0.0

    def update(self, values: dict) -> None:
        for name, value in values.items():
            if name == "outage_seconds":  # convenience: an outage starting now
                self.outage_from, self.outage_until = time.time(), time.time() + float(value)
            elif name in self.__dataclass_fields__:
                setattr(self, name, float(value))
            else:
                raise ValueError(f"unknown fault {name!r}")

    def in_outage(self) -> bool:
        return self.outage_from <= time.time() < self.outage_until


class Store:
    def __init__(self, dsn: str, schema: str = "national_sim", pool_size: int = 12):
        if not SCHEMA_RE.match(schema):
            raise ValueError("schema must be a plain lower-case identifier")
        self.schema = schema
        # A simulator need not survive a crash of its database server: skip the wait for the WAL flush.
        self.pool = psycopg2.pool.ThreadedConnectionPool(
            1, pool_size, dsn, options="-c synchronous_commit=off"
        )
        self.slots = threading.BoundedSemaphore(pool_size)

    @contextlib.contextmanager
    def cursor(self):
        with self.slots:
            conn = self.pool.getconn()
            try:
                with conn, conn.cursor() as cur:
                    yield cur
            finally:
                self.pool.putconn(conn)

    def ensure_schema(self) -> None:
        s = self.schema
        with self.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [s])
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
            cur.execute(
                f"""
                CREATE TABLE IF NOT EXISTS {s}.records (
                    seq bigserial PRIMARY KEY,
                    key text NOT NULL,
                    kind text NOT NULL,
                    partition_key text NOT NULL,
                    record_day date NOT NULL,
                    payload jsonb NOT NULL,
                    payload_hash text NOT NULL,
                    received_at timestamptz NOT NULL DEFAULT now(),
                    receipts integer NOT NULL DEFAULT 1,
                    CONSTRAINT records_key_once UNIQUE (key)
                )"""
            )
            cur.execute(f"CREATE INDEX IF NOT EXISTS records_day ON {s}.records USING brin (record_day)")

    def reset(self) -> None:
        with self.cursor() as cur:
            cur.execute(f"TRUNCATE {self.schema}.records RESTART IDENTITY")

    def store(self, records: list[dict]) -> list[tuple[str, bool]]:
        """Insert in order; a known key is not stored again, only its receipt count grows."""
        rows = [
            (
                r["key"],
                r["kind"],
                r["partition"],
                r["day"],
                r.get("_body") or json.dumps(r["data"], ensure_ascii=False),
                r["hash"],
            )
            for r in records
        ]
        with self.cursor() as cur:
            result = psycopg2.extras.execute_values(
                cur,
                f"""
                INSERT INTO {self.schema}.records (key, kind, partition_key, record_day, payload, payload_hash)
                VALUES %s
                ON CONFLICT (key) DO UPDATE SET receipts = {self.schema}.records.receipts + 1
                RETURNING key, (xmax = 0)
                """,
                rows,
                page_size=len(rows) or 1,
                fetch=True,
            )
        return [(k, bool(inserted)) for k, inserted in result]

    def summaries(self, since: date, until: date) -> list[dict]:
        with self.cursor() as cur:
            cur.execute(
                f"""
                SELECT record_day, kind, count(*),
                       encode(sha256(convert_to(string_agg(key || ':' || payload_hash, E'\\n'
                              ORDER BY key COLLATE "C"), 'UTF8')), 'hex')
                FROM {self.schema}.records WHERE record_day BETWEEN %s AND %s GROUP BY 1, 2 ORDER BY 1, 2
                """,
                [since, until],
            )
            return [
                {"day": d.isoformat(), "kind": k, "count": n, "digest": h} for d, k, n, h in cur.fetchall()
            ]

    def keys(self, day: date, kind: str) -> list[dict]:
        with self.cursor() as cur:
            cur.execute(
                f"SELECT key, payload_hash FROM {self.schema}.records WHERE record_day = %s AND kind = %s",
                [day, kind],
            )
            return [{"key": k, "hash": h} for k, h in cur.fetchall()]

    def stats(self) -> dict:
        with self.cursor() as cur:
            cur.execute(f"SELECT count(*), coalesce(sum(receipts), 0) FROM {self.schema}.records")
            records, receipts = cur.fetchone()
        return {"records": records, "receipts": int(receipts), "duplicates_absorbed": int(receipts) - records}


def validate(record: object) -> str | None:
    """Why a record is refused, or ``None``."""
    if not isinstance(record, dict):
        return "record must be an object"
    for name in ("key", "kind", "partition", "day", "hash"):
        if not isinstance(record.get(name), str) or not record[name]:
            return f"{name} is required"
    if len(record["key"]) > 160:
        return "key longer than 160 characters"
    if not isinstance(record.get("data"), dict):
        return "data must be an object"
    try:
        date.fromisoformat(record["day"])
    except ValueError:
        return "day must be an ISO date"
    body = canonical_json(record["data"])
    if hashlib.sha256(body.encode()).hexdigest() != record["hash"]:
        return "hash does not match data"
    record["_body"] = body  # stored as is: no second serialisation
    return None


class Simulator:
    def __init__(
        self, store: Store, faults: Faults, *, token: str = "", admin_token: str = "", seed: int | None = None
    ):
        self.store, self.faults, self.token, self.admin_token = store, faults, token, admin_token
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counters = {"batches": 0, "errors_injected": 0, "timeouts_injected": 0, "outage_refusals": 0}

    def roll(self, rate: float) -> bool:
        with self.lock:
            return rate > 0 and self.rng.random() < rate

    def count(self, name: str) -> None:
        with self.lock:
            self.counters[name] += 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "NationalPlatformSimulator/1.0"
    sim: Simulator  # set on the subclass by make_server

    def log_message(self, fmt, *args):  # quiet: thousands of batches
        if os.environ.get("SIMULATOR_VERBOSE"):
            super().log_message(fmt, *args)

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout): nothing to answer

    def _body(self) -> object:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw or b"{}")

    def _authorised(self, token: str) -> bool:
        return not token or self.headers.get("Authorization", "") == f"Bearer {token}"

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        sim = self.sim
        if url.path == "/healthz":
            return self._reply(200, {"status": "ok"})
        if url.path.startswith("/admin/"):
            if not self._authorised(sim.admin_token):
                return self._reply(401, {"error": "unauthorised"})
            if url.path == "/admin/faults":
                return self._reply(200, asdict(sim.faults))
            if url.path == "/admin/stats":
                return self._reply(200, {**sim.store.stats(), **sim.counters})
            return self._reply(404, {"error": "not found"})
        if not self._authorised(sim.token):
            return self._reply(401, {"error": "unauthorised"})
        if sim.faults.in_outage():
            return self._reply(503, {"error": "outage"})
        try:
            if url.path == "/api/v1/summary":
                since, until = date.fromisoformat(query["since"]), date.fromisoformat(query["until"])
                return self._reply(200, {"days": sim.store.summaries(since, until)})
            if url.path == "/api/v1/keys":
                return self._reply(
                    200, {"keys": sim.store.keys(date.fromisoformat(query["day"]), query["kind"])}
                )
        except (KeyError, ValueError) as exc:
            return self._reply(400, {"error": f"bad query: {exc}"})
        return self._reply(404, {"error": "not found"})

    def do_POST(self):
        url = urlparse(self.path)
        sim = self.sim
        try:
            body = self._body()
        except ValueError:
            return self._reply(400, {"error": "body is not JSON"})
        if url.path.startswith("/admin/"):
            if not self._authorised(sim.admin_token):
                return self._reply(401, {"error": "unauthorised"})
            if url.path == "/admin/faults":
                try:
                    sim.faults.update(body if isinstance(body, dict) else {})
                except (TypeError, ValueError) as exc:
                    return self._reply(400, {"error": str(exc)})
                return self._reply(200, asdict(sim.faults))
            if url.path == "/admin/reset":
                sim.store.reset()
                return self._reply(200, {"status": "reset"})
            return self._reply(404, {"error": "not found"})
        if url.path != "/api/v1/records/batch":
            return self._reply(404, {"error": "not found"})
        if not self._authorised(sim.token):
            return self._reply(401, {"error": "unauthorised"})
        return self._batch(body)

    def _batch(self, body: object):
        sim, faults = self.sim, self.sim.faults
        sim.count("batches")
        if faults.in_outage():
            sim.count("outage_refusals")
            return self._reply(503, {"error": "outage"})
        if faults.delay_max > 0:
            time.sleep(sim.rng.uniform(faults.delay_min, faults.delay_max))
        if sim.roll(faults.slow_rate):
            time.sleep(faults.slow_seconds)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or len(records) > MAX_BATCH:
            return self._reply(400, {"error": f"records must be a list of at most {MAX_BATCH}"})
        error_now = sim.roll(faults.error_rate)
        if error_now and sim.roll(0.5):
            sim.count("errors_injected")
            return self._reply(503, {"error": "injected failure before storing"})
        rejected, valid, seen, held = [], [], set(), set()
        for record in records:
            reason = validate(record)
            if reason:
                rejected.append(
                    {"key": record.get("key") if isinstance(record, dict) else None, "error": reason}
                )
                if isinstance(record, dict):
                    held.add(record.get("partition"))
            elif record["partition"] in held:
                continue  # order per battery: nothing after a refused record of the same battery
            elif record["key"] not in seen:  # a key twice in one batch is stored once
                seen.add(record["key"])
                valid.append(record)
        stored = sim.store.store(valid) if valid else []
        if error_now:
            sim.count("errors_injected")
            return self._reply(503, {"error": "injected failure after storing"})
        if sim.roll(faults.timeout_rate):
            sim.count("timeouts_injected")
            time.sleep(faults.hang_seconds)
        acks = [{"key": k, "result": "stored" if new else "duplicate"} for k, new in stored]
        if sim.roll(faults.duplicate_ack_rate):
            acks = acks + [{"key": a["key"], "result": "duplicate"} for a in acks]
        return self._reply(422 if rejected and not acks else 200, {"acks": acks, "rejected": rejected})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def make_server(host: str, port: int, sim: Simulator) -> Server:
    handler = type("BoundHandler", (Handler,), {"sim": sim})
    return Server((host, port), handler)


def _range(text: str) -> tuple[float, float]:
    low, _, high = text.partition(":")
    return float(low), float(high or low)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m national_sync.simulator", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument(
        "--database-url",
        default=os.environ.get("SIMULATOR_DATABASE_URL") or os.environ.get("DATABASE_URL", ""),
    )
    p.add_argument("--schema", default="national_sim")
    p.add_argument(
        "--token", default=os.environ.get("NATIONAL_PLATFORM_TOKEN", ""), help="bearer token required"
    )
    p.add_argument("--admin-token", default=os.environ.get("SIMULATOR_ADMIN_TOKEN", ""))
    p.add_argument("--reset", action="store_true", help="empty the store at start")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--timeout-rate", type=float, default=0.0)
    p.add_argument("--hang-seconds", type=float, default=30.0)
    p.add_argument("--slow-rate", type=float, default=0.0)
    p.add_argument("--slow-seconds", type=float, default=2.0)
    p.add_argument("--delay", type=_range, default=(0.0, 0.0), metavar="MIN:MAX", help="seconds, every batch")
    p.add_argument("--duplicate-ack-rate", type=float, default=0.0)
    p.add_argument("--outage", type=_range, default=None, metavar="FROM:TO", help="seconds after start")
    return p.parse_args(argv)


def build(args: argparse.Namespace) -> tuple[Server, Simulator]:
    if not args.database_url:
        raise SystemExit("set DATABASE_URL or --database-url")
    store = Store(args.database_url, args.schema)
    store.ensure_schema()
    if args.reset:
        store.reset()
    faults = Faults(
        error_rate=args.error_rate, timeout_rate=args.timeout_rate, hang_seconds=args.hang_seconds,
        slow_rate=args.slow_rate, slow_seconds=args.slow_seconds, delay_min=args.delay[0],
        delay_max=args.delay[1], duplicate_ack_rate=args.duplicate_ack_rate,
    )  # fmt: skip
    if args.outage:
        faults.outage_from, faults.outage_until = time.time() + args.outage[0], time.time() + args.outage[1]
    sim = Simulator(store, faults, token=args.token, admin_token=args.admin_token, seed=args.seed)
    return make_server(args.host, args.port, sim), sim


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server, _ = build(args)
    print(
        f"national platform simulator on http://{args.host}:{server.server_address[1]} (schema {args.schema})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
