"""The gateway's batch writer as its own process (spawned: a fresh interpreter with its own database connection),
so that writing never waits for the interpreter lock the event loop holds. Importable before Django is set up.

The gateway leaves the blocks of real-time and reissued reports undecoded (``defer_report_decoding``): they are
decoded here, on the other core, and a report the decoder refuses is left out of the batch and answered error.

Gateway and writer talk over one socket pair, each message a 4-byte length and a pickle: a batch goes out, its
result (``("ok", faults)`` or ``("error", text)``) comes back. The gateway's side is a non-blocking stream on its
event loop, so a batch and its answer cost the loop no thread hand-over and no blocking write."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import pickle
import socket

from .gateway import decode_deferred

log = logging.getLogger("telemetry.gateway")

_writer = None


def init(keep_raw: bool, synchronous_commit: bool) -> None:
    import django  # noqa: PLC0415 - the writer process sets Django up itself, the gateway does not

    django.setup()
    from .storage import SampleWriter  # noqa: PLC0415 - imports models, so once django.setup() has run

    global _writer
    _writer = SampleWriter(keep_raw=keep_raw, synchronous_commit=synchronous_commit)


def flush(items: list) -> list:
    faults = decode_deferred(items)
    _writer.flush([item for item, fault in zip(items, faults, strict=True) if fault is None])
    return faults


def _message(value) -> bytes:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return len(body).to_bytes(4, "big") + body


def serve(sock: socket.socket, keep_raw: bool, synchronous_commit: bool) -> None:
    """The writer process: Django, its own database connection, then the batches as they come."""
    init(keep_raw, synchronous_commit)
    gc.collect()
    gc.freeze()  # Django and the writer live as long as the process: out of the collector's sight
    answer_batches(sock, flush)


def answer_batches(sock: socket.socket, store) -> None:
    """Store each batch that arrives, answer its result; a zero length (or the gateway's end of the socket
    closing) ends the loop."""
    stream = sock.makefile("rwb")
    stream.write(_message(("ok", "ready")))
    stream.flush()
    while True:
        header = stream.read(4)
        if len(header) < 4 or not (size := int.from_bytes(header, "big")):
            return
        items = pickle.loads(stream.read(size))  # noqa: S301 - the gateway's own socket pair, nothing foreign
        try:
            result = ("ok", store(items))
        except Exception as exc:  # the batch is refused; the gateway answers each of its reports error
            log.exception("telemetry batch of %d not stored", len(items))
            result = ("error", f"{type(exc).__name__}: {exc}")
        stream.write(_message(result))
        stream.flush()


class WriterFailed(RuntimeError):
    """The writer process refused a batch or ended before answering it."""


class WriterChannel:
    """The gateway's end of the writer process: ``await flush(items)`` returns the batch's faults (one per
    item), or raises ``WriterFailed``; a writer process that ended is started again for the next batch."""

    def __init__(self, *, keep_raw: bool = True, synchronous_commit: bool = True, target=serve):
        self.target, self.args = target, (keep_raw, synchronous_commit)
        self._process = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def start(self) -> None:
        ours, theirs = socket.socketpair()
        self._process = multiprocessing.get_context("spawn").Process(
            target=self.target, args=(theirs, *self.args), name="telemetry-writer", daemon=True
        )
        self._process.start()
        theirs.close()
        self._reader, self._writer = await asyncio.open_connection(sock=ours, limit=1 << 20)
        if await self._receive() != "ready":
            raise WriterFailed("the writer process did not start")

    async def _receive(self):
        try:
            size = int.from_bytes(await self._reader.readexactly(4), "big")
            status, value = pickle.loads(await self._reader.readexactly(size))  # noqa: S301 - our own writer
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            await self._forget()
            raise WriterFailed("the writer process ended") from exc
        if status != "ok":
            raise WriterFailed(value)
        return value

    async def flush(self, items: list) -> list:
        if self._writer is None:
            await self.start()
        try:
            self._writer.write(_message(items))
            await self._writer.drain()
        except ConnectionError as exc:
            await self._forget()
            raise WriterFailed("the writer process ended") from exc
        return await self._receive()

    async def _forget(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
        if self._process is not None:
            await asyncio.to_thread(self._process.join, 10)
            if self._process.is_alive():
                self._process.kill()
            self._process = None

    async def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(ConnectionError):
                self._writer.write((0).to_bytes(4, "big"))
                await self._writer.drain()
        await self._forget()
