"""Run the GB/T 32960.3-2016 gateway in its own process: ``manage.py run_gbt32960 --host 127.0.0.1 --port 32960``."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import signal
import sys
import time

import redis.asyncio as redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand

from telemetry import conf, writer_process
from telemetry.gateway import Batcher, Gateway
from traceability import selectors as trace

log = logging.getLogger("telemetry.gateway")

NEGATIVE_CACHE_SECONDS = 60.0


class VinDirectory:
    """Known VINs, looked up in the registry on first sight; an unknown VIN is asked again after a minute.

    Lookups that arrive together (thousands of terminals logging in after a restart) share one query: the first
    waits ``gather`` seconds for others, then one ``vehicles_known`` answers them all."""

    def __init__(self, *, gather: float = 0.005, max_batch: int = 1000):
        self.known: set[str] = set()
        self.unknown: dict[str, float] = {}
        self.gather, self.max_batch = gather, max_batch
        self._asked: dict[str, asyncio.Future] = {}
        self._lookup: asyncio.Task | None = None
        self.queries = 0

    async def __call__(self, vin: str) -> bool:
        if vin in self.known:
            return True
        if time.monotonic() - self.unknown.get(vin, -1e9) < NEGATIVE_CACHE_SECONDS:
            return False
        fut = self._asked.get(vin)
        if fut is None:
            fut = self._asked[vin] = asyncio.get_running_loop().create_future()
            if self._lookup is None or self._lookup.done():
                self._lookup = asyncio.create_task(self._look_up())
        return await asyncio.shield(fut)

    async def _look_up(self) -> None:
        await asyncio.sleep(self.gather)
        while self._asked:
            vins = list(self._asked)[: self.max_batch]
            futures = [self._asked.pop(v) for v in vins]
            try:
                self.queries += 1
                found = await sync_to_async(trace.vehicles_known, thread_sensitive=False)(vins=vins)
            except Exception as exc:
                for fut in futures:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            now = time.monotonic()
            for vin, fut in zip(vins, futures, strict=True):
                if vin in found:
                    self.known.add(vin)
                    self.unknown.pop(vin, None)
                else:
                    self.unknown[vin] = now
                if not fut.done():
                    fut.set_result(vin in found)


async def publish_status(gateway: Gateway, name: str, every: float = 2.0) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    while True:
        try:
            await client.set(
                conf.STATUS_KEY_PREFIX + name,
                json.dumps(gateway.stats.snapshot()),
                ex=conf.STATUS_TTL_SECONDS,
            )
        except Exception:  # status is best effort
            log.debug("gateway status not published", exc_info=True)
        await asyncio.sleep(every)


async def hold_long_lived(stats, *, every: float = 1.0, sweep_every: float = 3600.0) -> None:
    """Keep the collector off the state of connections as they arrive.

    Thousands of terminals logging in together (after a restart, every morning) leave tens of thousands of
    objects that live as long as their connection; each young-generation collection walked them while every
    terminal waited (four pauses of 14–25 ms in the first 12 s of 5,000 logins at load 2–4, 120–340 ms at load
    8–10). So while connections are arriving, what survived the last second is frozen (out of the
    collector's sight; it is still freed by its reference count when its connection closes). A closed connection
    leaves no reference cycle behind, so this keeps nothing alive; to be sure nothing cyclic stays for good, once
    every ``sweep_every`` seconds everything is unfrozen, collected once, and frozen again."""
    seen, swept = stats.connections, time.monotonic()
    while True:
        await asyncio.sleep(every)
        if time.monotonic() - swept >= sweep_every:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            swept = time.monotonic()
        elif stats.connections > seen:
            gc.freeze()
        seen = stats.connections


def event_loop_factory():
    """uvloop's event loop (libuv) when installed: a fraction of the standard loop's cost per socket event."""
    try:
        import uvloop  # noqa: PLC0415 - optional: the standard loop serves without it
    except ImportError:
        return None
    return uvloop.new_event_loop


class Command(BaseCommand):
    help = "Run the GB/T 32960 vehicle telemetry gateway (TCP)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=32960)
        parser.add_argument("--no-raw", action="store_true", help="do not keep raw frames for audit")

    def handle(self, *args, **opts):
        # the thread answering VIN look-ups waits for the interpreter lock; a shorter switch interval keeps
        # logins from queueing behind a busy event loop
        sys.setswitchinterval(0.001)
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(self.serve(opts["host"], opts["port"], keep_raw=not opts["no_raw"]))

    async def serve(self, host: str, port: int, *, keep_raw: bool = True) -> None:
        sync = conf.get("TELEMETRY_SYNCHRONOUS_COMMIT")

        # the batch writer in its own process: no interpreter lock shared with the event loop
        writer = writer_process.WriterChannel(keep_raw=keep_raw, synchronous_commit=sync)
        await writer.start()  # the writer process is up before the first terminal
        batcher = Batcher(
            writer.flush,
            max_items=conf.get("TELEMETRY_BATCH_MAX_ROWS"),
            max_delay=conf.get("TELEMETRY_BATCH_MAX_DELAY"),
        )
        gateway = Gateway(
            known_vin=VinDirectory(),
            batcher=batcher,
            platform_accounts=conf.platform_accounts(),
            idle_timeout=conf.get("TELEMETRY_IDLE_TIMEOUT"),
            frame_timeout=conf.get("TELEMETRY_FRAME_TIMEOUT"),
            defer_report_decoding=True,  # the writer process decodes the blocks, on the other core
        )
        # what exists now lives as long as the process: out of the collector's sight, and full collections rare
        # (thousands of connections make a full collection a pause felt by every terminal)
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        gateway.stats.watch_gc()
        await gateway.start(host, port)
        status = asyncio.create_task(publish_status(gateway, f"{host}:{gateway.port}"))
        holding = asyncio.create_task(hold_long_lived(gateway.stats))
        self.stdout.write(f"GB/T 32960 gateway listening on {host}:{gateway.port}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        status.cancel()
        holding.cancel()
        await gateway.close()  # the last batch is committed before the process ends
        await writer.close()
        snap = gateway.stats.snapshot()
        self.stdout.write(
            f"gateway stopped: {snap['samples']} samples stored, receipt→answer {snap['ack']}, "
            f"batches {snap['batches']}, loop lag {snap['loop_lag']}, collections {snap['gc']}, "
            f"faults {snap['errors']}"
        )
        log.info("collections (seconds after start, generation, ms): %s", list(gateway.stats.gc_log))
