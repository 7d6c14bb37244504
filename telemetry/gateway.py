"""The GB/T 32960.3-2016 gateway: an asyncio TCP server that answers terminals and forwarding platforms and
hands decoded reports to a batching sink. No Django here: the directory of known VINs, the sink and the status
publisher are passed in (``manage.py run_gbt32960`` wires the database and Redis ones).

Answers follow clause 6.3 (table 3): a command frame carries the response flag 0xFE; the platform answers with
the same command, flag 0x01 (ok), 0x02 (error) or 0x03 (duplicate VIN), keeps the data unit's time and drops the
rest. A real-time or reissued report is answered only after its batch is committed, so an acknowledged sample is
never lost: a terminal that gets an error (or nothing) keeps the data and reissues it (0x03), as clause 7.3
expects. Frames that cannot be answered (bad BCC, a VIN that is not text, a response where a command belongs)
are dropped. Every fault is counted by kind and logged once per connection.

With ``defer_report_decoding`` the event loop checks a report's framing, session and time only and leaves the
blocks to the sink (``decode_deferred``, run by the writer process before it stores the batch): a report the
decoder refuses is answered error when its batch comes back, in order, exactly as an inline refusal would be.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import hmac
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .protocol import blocks as b
from .protocol.frame import (
    GMT8,
    HEADER_LEN,
    BadFrame,
    Command,
    Encryption,
    Frame,
    FrameSplitter,
    Garbage,
    ProtocolError,
    Response,
    decode_time,
    decode_vin,
    encode_frame,
    encode_time,
)
from .protocol.messages import PlatformLogin, Report, VehicleLogin, decode_message

log = logging.getLogger("telemetry.gateway")

# The blocks the sample table keeps (the raw frame keeps everything): only these travel to the writer.
STORED_BLOCKS = (b.VehicleData, b.Extremes, b.Alarms, b.Position)

# Clause 7.2 leaves the terminal's clock to time sync; a report stamped further ahead than this is refused.
MAX_FUTURE = timedelta(minutes=10)


@dataclass(slots=True)
class Received:
    """One frame that passed framing, as the sink stores it (the report decoded for real-time and reissue)."""

    vin: str
    command: int
    raw: bytes
    received_at: datetime
    report: Report | None = None
    login: VehicleLogin | None = None

    def __reduce__(self):
        # positional and flat: pickling to the writer process skips the generic dataclass state walk
        return (Received, (self.vin, self.command, self.raw, self.received_at, self.report, self.login))


def decode_deferred(items: list[Received]) -> list[tuple[str, str] | None]:
    """Decode the reports whose blocks the gateway left undecoded (``report is None``); keep the blocks the
    sample table stores. Returns, per item, ``None`` or the ``(kind, message)`` of the decoder's refusal."""
    faults: list[tuple[str, str] | None] = []
    for item in items:
        fault = None
        if item.report is None and item.command in (Command.REALTIME, Command.REISSUE):
            try:
                report = Report.decode(item.raw[HEADER_LEN:-1])
            except ProtocolError as err:
                fault = (err.kind, str(err))
            else:
                item.report = Report(report.time, tuple(x for x in report.blocks if type(x) in STORED_BLOCKS))
        faults.append(fault)
    return faults


_COMMAND_KEYS = {c: f"{c:02x}" for c in range(256)}


class Stats:
    """Counters of one gateway process; ``snapshot`` is what the status publisher sends."""

    def __init__(self, window: float = 10.0):
        self.window = window
        self.frames = collections.Counter()
        self.errors = collections.Counter()
        self.acks = 0
        self.samples = 0
        self.connections = 0
        self.started = time.time()
        self._per_second: collections.Counter[int] = collections.Counter()  # whole second → frames
        self.ack_seconds: collections.deque[float] = collections.deque(maxlen=20000)  # receipt → answer
        self.batches: collections.deque[tuple[int, float]] = collections.deque(maxlen=500)  # rows, seconds
        # how late the event loop wakes a 10 ms timer: every frame and answer waits that long too
        self.loop_lag: collections.deque[float] = collections.deque(maxlen=20000)
        self.gc_pauses: collections.deque[float] = collections.deque(maxlen=2000)
        self.gc_log: collections.deque[tuple[float, int, float]] = collections.deque(maxlen=200)
        self._gc_began = 0.0

    def frame(self, command: int) -> None:
        self.frames[_COMMAND_KEYS[command]] += 1
        self._per_second[int(time.monotonic())] += 1

    def rate(self) -> float:
        """Frames per second over the last ``window`` whole seconds (the current second is still counting)."""
        now = int(time.monotonic())
        for second in [s for s in self._per_second if s < now - self.window]:
            del self._per_second[second]
        return sum(n for s, n in self._per_second.items() if s < now) / self.window

    def batch_percentiles(self) -> dict:
        if not self.batches:
            return {}
        seconds = sorted(s for _, s in self.batches)
        return {
            "count": len(seconds),
            "rows_mean": round(sum(n for n, _ in self.batches) / len(self.batches), 1),
            "p50_ms": round(seconds[len(seconds) // 2] * 1000, 1),
            "max_ms": round(seconds[-1] * 1000, 1),
        }

    @staticmethod
    def percentiles(seconds) -> dict:
        values = sorted(seconds)
        if not values:
            return {}
        pick = lambda q: round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)  # noqa: E731
        return {"p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": round(values[-1] * 1000, 1)}

    def ack_percentiles(self) -> dict:
        return self.percentiles(self.ack_seconds)

    async def watch_loop(self, every: float = 0.01) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(every)
            self.loop_lag.append(max(0.0, time.perf_counter() - began - every))

    def watch_gc(self) -> None:
        """Time the collector's pauses (a pause holds every connection of the process)."""

        def timing(phase: str, _info: dict) -> None:
            if phase == "start":
                self._gc_began = time.perf_counter()
            else:
                pause = time.perf_counter() - self._gc_began
                self.gc_pauses.append(pause)
                self.gc_log.append(
                    (round(time.time() - self.started, 1), _info["generation"], round(pause * 1e3, 1))
                )

        gc.callbacks.append(timing)

    def snapshot(self) -> dict:
        return {
            "ack": self.ack_percentiles(),
            "loop_lag": self.percentiles(self.loop_lag),
            "gc": {"count": len(self.gc_pauses), **self.percentiles(self.gc_pauses)},
            "batches": self.batch_percentiles(),
            "connections": self.connections,
            "frames_per_second": round(self.rate(), 2),
            "frames": dict(self.frames),
            "errors": dict(self.errors),
            "acks": self.acks,
            "samples": self.samples,
            "started": self.started,
            "at": time.time(),
        }


class Batcher:
    """Collects items and hands them to ``flush`` in batches, one batch at a time; ``submit`` returns a future
    that completes when the item's batch is committed, with the item's entry of the list ``flush`` returns
    (``None`` when it returns nothing): a sink may refuse single items of a batch.

    ``flush`` is either a coroutine function, awaited on the loop (the writer process's channel: no thread in
    the way), or a blocking function run in one worker thread."""

    def __init__(self, flush: Callable[[list], object], *, max_items: int = 2000, max_delay: float = 0.01):
        self.flush, self.max_items, self.max_delay = flush, max_items, max_delay
        self._items: list = []
        self._futures: list[asyncio.Future | None] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._executor = None
        if not inspect.iscoroutinefunction(flush):
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="telemetry-writer")
        self.batches: collections.deque[tuple[int, float]] = collections.deque(maxlen=500)  # rows, seconds

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        await self._drain()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    def submit(self, item, *, wait: bool = True) -> asyncio.Future | None:
        fut = asyncio.get_running_loop().create_future() if wait else None
        self._items.append(item)
        self._futures.append(fut)
        self._wake.set()
        return fut

    async def _run(self) -> None:
        # A batch starts at most every ``max_delay`` s: the first item after a quiet spell goes at once (after one
        # turn of the loop, which gathers what arrived with it), items arriving sooner wait for the next slot.
        last = -1e9
        while True:
            await self._wake.wait()
            await asyncio.sleep(max(0.0, last + self.max_delay - time.perf_counter()))
            last = time.perf_counter()
            await self._drain()

    async def _drain(self) -> None:
        while self._items:
            items, futures = self._items[: self.max_items], self._futures[: self.max_items]
            del self._items[: self.max_items], self._futures[: self.max_items]
            began = time.perf_counter()
            try:
                if self._executor is None:
                    results = await self.flush(items)
                else:
                    results = await asyncio.get_running_loop().run_in_executor(
                        self._executor, self.flush, items
                    )
            except Exception as exc:  # the batch is refused, each sender gets an error answer
                log.exception("telemetry batch of %d not stored", len(items))
                for fut in futures:
                    if fut is not None and not fut.done():
                        fut.set_exception(exc)
            else:
                self.batches.append((len(items), time.perf_counter() - began))
                if results is None:
                    results = [None] * len(futures)
                for fut, result in zip(futures, results, strict=True):
                    if fut is not None and not fut.done():
                        fut.set_result(result)
        self._wake.clear()


@dataclass(eq=False)
class Link:
    peer: str
    writer: asyncio.StreamWriter
    vins: set[str] = field(default_factory=set)
    platform: str | None = None
    logged: set[str] = field(default_factory=set)
    inflight: int = 0
    # answers in the order of the frames: a report's slot is filled when its batch is committed
    answers: collections.deque = field(default_factory=collections.deque)

    def flush_answers(self) -> None:
        while self.answers and self.answers[0][0] is not None:
            raw = self.answers.popleft()[0]
            if not self.writer.is_closing():
                self.writer.write(raw)


class Gateway:
    def __init__(
        self,
        *,
        known_vin: Callable[[str], Awaitable[bool]],
        batcher: Batcher,
        platform_accounts: dict[str, str] | None = None,
        idle_timeout: float = 180.0,
        frame_timeout: float = 10.0,
        max_inflight: int = 2000,
        defer_report_decoding: bool = False,
    ):
        self.known_vin = known_vin
        self.batcher = batcher
        self.platform_accounts = platform_accounts or {}
        self.idle_timeout, self.frame_timeout = idle_timeout, frame_timeout
        self.max_inflight = max_inflight
        self.defer_report_decoding = defer_report_decoding
        self.stats = Stats()
        self.stats.batches = batcher.batches
        self.online: dict[str, Link] = {}
        self.server: asyncio.AbstractServer | None = None
        self._watch: asyncio.Task | None = None

    async def start(self, host: str, port: int) -> asyncio.AbstractServer:
        self.batcher.start()
        self._watch = asyncio.get_running_loop().create_task(self.stats.watch_loop())
        self.server = await asyncio.start_server(self.handle, host, port, limit=1 << 17, backlog=4096)
        return self.server

    async def close(self) -> None:
        if self.server:
            self.server.close()
            await self.server.wait_closed()
        if self._watch:
            self._watch.cancel()
        await self.batcher.close()

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    # --- one connection -----------------------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        link = Link(peer=f"{peer[0]}:{peer[1]}" if peer else "?", writer=writer)
        splitter = FrameSplitter()
        self.stats.connections += 1
        last_frame = time.monotonic()
        try:
            while True:
                waited = time.monotonic() - last_frame
                budget = self.idle_timeout - waited
                if splitter.pending:
                    budget = min(budget, self.frame_timeout)
                if budget <= 0:
                    self._fault(link, "timeout", "no frame for %.0f s: closing", self.idle_timeout)
                    break
                try:
                    async with asyncio.timeout(budget):
                        chunk = await reader.read(1 << 16)
                except TimeoutError:
                    if splitter.pending:
                        dropped = splitter.drop_partial()
                        self._fault(link, "truncated", "incomplete frame of %d bytes dropped", len(dropped))
                        continue
                    self._fault(link, "timeout", "no frame for %.0f s: closing", self.idle_timeout)
                    break
                except (ConnectionError, OSError):
                    break
                if not chunk:
                    if splitter.pending:
                        self._fault(link, "truncated", "connection closed inside a frame")
                    break
                for item in splitter.feed(chunk):
                    if isinstance(item, Frame):
                        last_frame = time.monotonic()
                        await self._frame(link, item)
                    elif isinstance(item, Garbage):
                        self._fault(link, "garbage", "%d bytes outside frames skipped", item.size)
                    elif isinstance(item, BadFrame):
                        self._fault(link, item.kind, "frame dropped: bad %s", item.kind)
                try:
                    await writer.drain()
                except (ConnectionError, OSError):
                    break
        except Exception:  # one connection's failure never stops the gateway
            log.exception("telemetry connection %s failed", link.peer)
            self.stats.errors["internal"] += 1
        finally:
            self.stats.connections -= 1
            for vin in link.vins:
                if self.online.get(vin) is link:
                    del self.online[vin]
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _fault(self, link: Link, kind: str, message: str, *args) -> None:
        self.stats.errors[kind] += 1
        if kind not in link.logged:
            link.logged.add(kind)
            log.warning("telemetry %s [%s]: " + message, link.peer, kind, *args)

    def _answer(self, link: Link, frame: Frame, flag: int, data: bytes | None = None, slot=None) -> None:
        if data is None:
            data = frame.data[:6] if len(frame.data) >= 6 else b""
        raw = encode_frame(command=frame.command, response=flag, vin=frame.vin, data=data, start=frame.start)
        if slot is None:
            link.answers.append([raw])
        else:
            slot[0] = raw
        link.flush_answers()
        if flag == Response.OK:
            self.stats.acks += 1

    async def _frame(self, link: Link, frame: Frame) -> None:
        self.stats.frame(frame.command)
        if decode_vin(frame.vin.encode("ascii", "replace")) is None:
            self._fault(link, "vin", "frame without a readable VIN dropped")
            return
        if frame.response != Response.COMMAND:
            self._fault(
                link, "unexpected_response", "response flag 0x%02x where a command belongs", frame.response
            )
            return
        if frame.is_2025:
            self._fault(
                link, "version_2025", "GB/T 32960.3-2025 frames are not supported yet: answered error"
            )
            self._answer(link, frame, Response.ERROR, b"")
            return
        if frame.encryption != Encryption.NONE:
            self._fault(
                link, "encryption", "encryption 0x%02x is not accepted: answered error", frame.encryption
            )
            self._answer(link, frame, Response.ERROR)
            return
        try:
            if self.defer_report_decoding and frame.command in (Command.REALTIME, Command.REISSUE):
                message = Report(decode_time(frame.data), ())  # the blocks are decoded by the sink
            else:
                message = decode_message(frame.command, frame.data)
        except ProtocolError as err:
            self._fault(link, err.kind, "0x%02x refused: %s", frame.command, err)
            self._answer(link, frame, Response.ERROR)
            return
        handler = self._HANDLERS[frame.command]
        await handler(self, link, frame, message)

    # --- commands ------------------------------------------------------------------------------------------

    def _received(self, frame: Frame, **kw) -> Received:
        return Received(
            vin=frame.vin,
            command=frame.command,
            raw=frame.raw
            or encode_frame(command=frame.command, response=frame.response, vin=frame.vin, data=frame.data),
            received_at=datetime.now(GMT8),
            **kw,
        )

    async def _vehicle_login(self, link, frame, login: VehicleLogin) -> None:
        if not await self.known_vin(frame.vin):
            self._fault(link, "unknown_vin", "login of unknown VIN %s refused", frame.vin)
            self._answer(link, frame, Response.ERROR)
            return
        holder = self.online.get(frame.vin)
        if holder is not None and holder is not link and not holder.writer.is_closing():
            self._fault(link, "duplicate_vin", "VIN %s is already logged in from %s", frame.vin, holder.peer)
            self._answer(link, frame, Response.DUPLICATE_VIN)
            return
        self.online[frame.vin] = link
        link.vins.add(frame.vin)
        self.batcher.submit(self._received(frame, login=login), wait=False)
        self._answer(link, frame, Response.OK)

    async def _vehicle_logout(self, link, frame, _logout) -> None:
        if frame.vin not in link.vins:
            self._fault(link, "not_logged_in", "logout of %s, which is not logged in here", frame.vin)
            self._answer(link, frame, Response.ERROR)
            return
        link.vins.discard(frame.vin)
        if self.online.get(frame.vin) is link:
            del self.online[frame.vin]
        self.batcher.submit(self._received(frame), wait=False)
        self._answer(link, frame, Response.OK)

    async def _report(self, link, frame, report: Report) -> None:
        if frame.vin not in link.vins:
            if link.platform is None:
                self._fault(link, "not_logged_in", "report from %s before its login refused", frame.vin)
                self._answer(link, frame, Response.ERROR)
                return
            if not await self.known_vin(frame.vin):
                self._fault(link, "unknown_vin", "report for unknown VIN %s refused", frame.vin)
                self._answer(link, frame, Response.ERROR)
                return
        if report.time > datetime.now(GMT8) + MAX_FUTURE:
            self._fault(link, "time", "report stamped %s, ahead of the platform clock", report.time)
            self._answer(link, frame, Response.ERROR)
            return
        if link.inflight >= self.max_inflight:
            self._fault(link, "overload", "more than %d reports waiting: answered error", self.max_inflight)
            self._answer(link, frame, Response.ERROR)
            return
        received = time.perf_counter()
        if self.defer_report_decoding:
            stored = None  # decode_deferred fills it in the sink
        else:
            stored = Report(report.time, tuple(x for x in report.blocks if type(x) in STORED_BLOCKS))
        fut = self.batcher.submit(self._received(frame, report=stored))
        link.inflight += 1
        slot = [None]
        link.answers.append(slot)

        def done(f: asyncio.Future) -> None:
            link.inflight -= 1
            if f.exception() is not None:
                self._fault(link, "storage", "report not stored: answered error")
                self._answer(link, frame, Response.ERROR, slot=slot)
            elif f.result() is not None:
                kind, message = f.result()
                self._fault(link, kind, "0x%02x refused: %s", frame.command, message)
                self._answer(link, frame, Response.ERROR, slot=slot)
            else:
                self.stats.samples += 1
                self._answer(link, frame, Response.OK, slot=slot)
                self.stats.ack_seconds.append(time.perf_counter() - received)

        fut.add_done_callback(done)

    async def _platform_login(self, link, frame, login: PlatformLogin) -> None:
        expected = self.platform_accounts.get(login.username)
        if expected is None or not hmac.compare_digest(expected.encode(), login.password.encode()):
            self._fault(link, "platform_login", "platform login %r refused", login.username)
            self._answer(link, frame, Response.ERROR)
            return
        link.platform = login.username
        self._answer(link, frame, Response.OK)

    async def _platform_logout(self, link, frame, _logout) -> None:
        if link.platform is None:
            self._fault(link, "not_logged_in", "platform logout without a login")
            self._answer(link, frame, Response.ERROR)
            return
        link.platform = None
        self._answer(link, frame, Response.OK)

    async def _heartbeat(self, link, frame, _none) -> None:
        self._answer(link, frame, Response.OK, b"")

    async def _time_sync(self, link, frame, _none) -> None:
        # Clause 7.8: the answer carries the platform's time.
        self._answer(link, frame, Response.OK, encode_time(datetime.now(GMT8)))

    _HANDLERS = {
        Command.VEHICLE_LOGIN: _vehicle_login,
        Command.REALTIME: _report,
        Command.REISSUE: _report,
        Command.VEHICLE_LOGOUT: _vehicle_logout,
        Command.PLATFORM_LOGIN: _platform_login,
        Command.PLATFORM_LOGOUT: _platform_logout,
        Command.HEARTBEAT: _heartbeat,
        Command.TIME_SYNC: _time_sync,
    }
