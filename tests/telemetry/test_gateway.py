"""The gateway over a real socket (127.0.0.1, a free port): every command and every kind of bad input
(GB/T 32960.3-2016 clause 6.3 answers; faults counted, logged once per connection, the link goes on)."""

import asyncio
import logging
from datetime import datetime

import pytest

from telemetry.gateway import Batcher, Gateway, decode_deferred
from telemetry.protocol import blocks as b
from telemetry.protocol.frame import GMT8, Command, FrameSplitter, Response, bcc, decode_time, encode_frame
from telemetry.protocol.messages import Logout, PlatformLogin, Report, VehicleLogin

VIN = "LFV2A21K6G4000001"
OTHER = "LFV2A21K6G4000002"
UNKNOWN = "LUNKNOWNVIN000009"
KNOWN = {VIN, OTHER}
NOW = datetime.now(GMT8).replace(microsecond=0)


def cmd(command, vin=VIN, data=b"", **kw):
    return encode_frame(command=command, response=Response.COMMAND, vin=vin, data=data, **kw)


def login(vin=VIN, serial=1):
    return cmd(Command.VEHICLE_LOGIN, vin, VehicleLogin(NOW, serial, "8986" * 5, ("PACK01",)).encode())


def report(vin=VIN, soc=60, command=Command.REALTIME):
    vehicle = b.VehicleData(1, 3, 1, 50.0, 1000.0, 350.0, 20.0, soc, 1, 0x2E, 5000, 10, 0)
    return cmd(command, vin, Report(NOW, (vehicle,)).encode())


class Client:
    def __init__(self, reader, writer):
        self.reader, self.writer, self.splitter, self.frames = reader, writer, FrameSplitter(), []

    async def send(self, raw: bytes):
        self.writer.write(raw)
        await self.writer.drain()

    async def answer(self, timeout=3.0):
        while not self.frames:
            chunk = await asyncio.wait_for(self.reader.read(4096), timeout)
            if not chunk:
                raise ConnectionError("closed")
            self.frames += self.splitter.feed(chunk)
        return self.frames.pop(0)

    async def silent(self, wait=0.3) -> bool:
        try:
            await self.answer(wait)
        except TimeoutError:
            return True
        return False


class Harness:
    def __init__(self, fail=False, on_loop=False, **kw):
        self.stored: list = []
        self.fail = fail
        self.on_loop = on_loop  # the flush as a coroutine on the loop, as the writer process's channel is
        self.kw = kw

    def flush(self, items):
        if self.fail:
            raise RuntimeError("database down")
        if not self.kw.get("defer_report_decoding"):
            self.stored.extend(items)
            return None
        # as the writer process does: decode the blocks the gateway left, store only what decoded
        faults = decode_deferred(items)
        self.stored.extend(i for i, f in zip(items, faults, strict=True) if f is None)
        return faults

    async def __aenter__(self):
        async def known(vin):
            return vin in KNOWN

        async def flush_on_loop(items):
            await asyncio.sleep(0.001)
            return self.flush(items)

        self.gateway = Gateway(
            known_vin=known,
            batcher=Batcher(flush_on_loop if self.on_loop else self.flush, max_delay=0.005),
            platform_accounts={"forwarder": "s3cret"},
            **self.kw,
        )
        await self.gateway.start("127.0.0.1", 0)
        return self

    async def connect(self) -> Client:
        return Client(*await asyncio.open_connection("127.0.0.1", self.gateway.port))

    async def __aexit__(self, *exc):
        await self.gateway.close()

    @property
    def errors(self):
        return self.gateway.stats.errors


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


@pytest.mark.parametrize("on_loop", [False, True], ids=["thread", "coroutine"])
def test_login_report_logout_are_acknowledged(on_loop):
    async def scenario():
        async with Harness(on_loop=on_loop) as h:
            c = await h.connect()
            await c.send(login())
            ack = await c.answer()
            assert (ack.command, ack.response, ack.vin) == (1, Response.OK, VIN)
            assert decode_time(ack.data) == NOW and len(ack.data) == 6  # clause 6.3: the time is kept
            await c.send(report(soc=61))
            ack = await c.answer()
            assert (ack.command, ack.response) == (2, Response.OK)
            await c.send(report(soc=62, command=Command.REISSUE))
            assert (await c.answer()).response == Response.OK
            await c.send(cmd(Command.VEHICLE_LOGOUT, data=Logout(NOW, 1).encode()))
            assert (await c.answer()).response == Response.OK
            reports = [r for r in h.stored if r.report is not None]
            assert [r.report.block(b.VehicleData).soc_pct for r in reports] == [61, 62]
            assert [r.command for r in reports] == [2, 3]
            assert not h.errors

    run(scenario())


def test_heartbeat_and_time_sync():
    async def scenario():
        async with Harness() as h:
            c = await h.connect()
            await c.send(cmd(Command.HEARTBEAT))
            ack = await c.answer()
            assert (ack.command, ack.response, ack.data) == (7, Response.OK, b"")
            await c.send(cmd(Command.TIME_SYNC))
            ack = await c.answer()
            assert ack.command == 8 and abs((decode_time(ack.data) - datetime.now(GMT8)).total_seconds()) < 5

    run(scenario())


def test_bad_bcc_is_dropped_counted_logged_once_and_the_connection_goes_on(caplog):
    async def scenario():
        async with Harness() as h:
            c = await h.connect()
            bad = bytearray(cmd(Command.HEARTBEAT))
            bad[-1] ^= 0x55
            await c.send(bytes(bad) + bytes(bad))
            assert await c.silent()
            await c.send(cmd(Command.HEARTBEAT))
            assert (await c.answer()).response == Response.OK
            assert h.errors["bcc"] == 2

    with caplog.at_level(logging.WARNING, logger="telemetry.gateway"):
        run(scenario())
    assert len([r for r in caplog.records if "[bcc]" in r.getMessage()]) == 1


def test_wrong_length_costs_one_frame():
    async def scenario():
        async with Harness() as h:
            c = await h.connect()
            lying = bytearray(cmd(Command.HEARTBEAT))
            lying[22:24] = (300).to_bytes(2, "big")
            await c.send(bytes(lying) + cmd(Command.TIME_SYNC))
            ack = await c.answer()
            assert ack.command == 8 and ack.response == Response.OK
            assert h.errors["length"] == 1

    run(scenario())


def test_unknown_command_is_answered_error():
    async def scenario():
        async with Harness() as h:
            c = await h.connect()
            await c.send(cmd(0x42))
            ack = await c.answer()
            assert (ack.command, ack.response) == (0x42, Response.ERROR)
            await c.send(cmd(Command.HEARTBEAT))
            assert (await c.answer()).response == Response.OK
            assert h.errors["unknown_command"] == 1

    run(scenario())


def test_split_reads_and_garbage_between_frames():
    async def scenario():
        async with Harness() as h:
            c = await h.connect()
            stream = b"\xff\x00garbage#" + login() + b"\r\n#$" + report()
            for i in range(len(stream)):
                await c.send(stream[i : i + 1])
            assert (await c.answer()).command == 1
            assert (await c.answer()).response == Response.OK
            assert h.errors["garbage"] >= 2 and len(h.stored) == 2

    run(scenario())


def test_truncated_frame_is_dropped_after_the_frame_timeout():
    async def scenario():
        async with Harness(frame_timeout=0.3) as h:
            c = await h.connect()
            await c.send(login()[:20])
            assert await c.silent(0.6)
            await c.send(cmd(Command.HEARTBEAT))
            assert (await c.answer()).response == Response.OK
            assert h.errors["truncated"] == 1

    run(scenario())


def test_silent_client_is_timed_out():
    async def scenario():
        async with Harness(idle_timeout=0.4) as h:
            c = await h.connect()
            with pytest.raises(ConnectionError):
                await c.answer(3)
            assert h.errors["timeout"] == 1 and h.gateway.stats.connections == 0

    run(scenario())


def test_slow_client_trickling_one_byte_at_a_time_is_timed_out():
    async def scenario():
        async with Harness(idle_timeout=0.5, frame_timeout=5) as h:
            c = await h.connect()
            with pytest.raises(ConnectionError):
                for byte in login():
                    await c.send(bytes((byte,)))
                    await asyncio.sleep(0.05)
                await c.answer(2)
            assert h.errors["timeout"] == 1

    run(scenario())


def test_report_before_login_and_unknown_vin():
    async def scenario():
        async with Harness() as h:
            c = await h.connect()
            await c.send(report())
            assert (await c.answer()).response == Response.ERROR
            await c.send(login(UNKNOWN))
            assert (await c.answer()).response == Response.ERROR
            await c.send(cmd(Command.VEHICLE_LOGOUT, data=Logout(NOW, 1).encode()))
            assert (await c.answer()).response == Response.ERROR
            assert h.errors["not_logged_in"] == 2 and h.errors["unknown_vin"] == 1
            assert not [r for r in h.stored if r.report is not None]

    run(scenario())


def test_duplicate_vin_from_another_connection():
    async def scenario():
        async with Harness() as h:
            first, second = await h.connect(), await h.connect()
            await first.send(login())
            assert (await first.answer()).response == Response.OK
            await second.send(login())
            assert (await second.answer()).response == Response.DUPLICATE_VIN
            await first.send(login(serial=2))  # the same connection logging in again is fine
            assert (await first.answer()).response == Response.OK

    run(scenario())


def test_encryption_other_than_none_is_refused():
    async def scenario():
        async with Harness() as h:
            c = await h.connect()
            for mode in (0x02, 0x03, 0xFE, 0xFF):
                await c.send(cmd(Command.HEARTBEAT, encryption=mode))
                assert (await c.answer()).response == Response.ERROR
            await c.send(cmd(Command.HEARTBEAT))
            assert (await c.answer()).response == Response.OK
            assert h.errors["encryption"] == 4

    run(scenario())


def test_2025_frames_are_recognised_and_refused():
    async def scenario():
        async with Harness() as h:
            c = await h.connect()
            await c.send(cmd(Command.VEHICLE_LOGIN, data=b"\x01" * 40, start=b"$$"))
            ack = await c.answer()
            assert ack.is_2025 and ack.response == Response.ERROR
            assert h.errors["version_2025"] == 1

    run(scenario())


def test_malformed_data_unit_and_future_time_are_answered_error():
    async def scenario():
        async with Harness() as h:
            c = await h.connect()
            await c.send(login())
            await c.answer()
            await c.send(
                cmd(Command.REALTIME, data=b"\x19\x0c\x01\x00\x00\x00\x01\x01")
            )  # truncated 0x01 block
            assert (await c.answer()).response == Response.ERROR
            await c.send(cmd(Command.REALTIME, data=b"\x19\x0d\x01\x00\x00\x00"))  # month 13
            assert (await c.answer()).response == Response.ERROR
            await c.send(cmd(Command.REALTIME, data=Report(NOW.replace(year=NOW.year + 1), ()).encode()))
            assert (await c.answer()).response == Response.ERROR
            assert h.errors["body"] == 1 and h.errors["time"] == 2

    run(scenario())


def test_blocks_decoded_by_the_sink_refuse_a_bad_report_in_order():
    """With the blocks left to the writer process, a report its decoder refuses is answered error, the reports
    around it are answered ok in the order they were sent, and only the good ones are stored."""

    async def scenario():
        async with Harness(defer_report_decoding=True) as h:
            c = await h.connect()
            await c.send(login())
            await c.answer()
            bad = cmd(Command.REALTIME, data=b"\x19\x0c\x01\x00\x00\x00\x01\x01")  # truncated 0x01 block
            short_position = cmd(Command.REALTIME, data=Report(NOW, ()).encode() + b"\x05\x00\x01")
            await c.send(report(soc=41) + bad + report(soc=43) + short_position + report(soc=45))
            answers = [await c.answer() for _ in range(5)]
            assert [a.response for a in answers] == [
                Response.OK,
                Response.ERROR,
                Response.OK,
                Response.ERROR,
                Response.OK,
            ]
            assert [a.command for a in answers] == [2] * 5
            stored = [r.report.block(b.VehicleData).soc_pct for r in h.stored if r.report is not None]
            assert stored == [41, 43, 45]
            assert h.errors["body"] == 2
            assert h.gateway.stats.samples == 3
            # month 13 is still refused by the event loop itself, before the batch
            await c.send(cmd(Command.REALTIME, data=b"\x19\x0d\x01\x00\x00\x00"))
            assert (await c.answer()).response == Response.ERROR
            assert h.errors["time"] == 1

    run(scenario())


def test_responses_and_unreadable_vins_are_dropped():
    async def scenario():
        async with Harness() as h:
            c = await h.connect()
            await c.send(encode_frame(command=7, response=Response.OK, vin=VIN))
            raw = bytearray(cmd(Command.HEARTBEAT))
            raw[4:21] = b"\x00" * 17

            raw[-1] = bcc(raw[2:-1])
            await c.send(bytes(raw))
            assert await c.silent()
            assert h.errors["unexpected_response"] == 1 and h.errors["vin"] == 1

    run(scenario())


@pytest.mark.parametrize("on_loop", [False, True], ids=["thread", "coroutine"])
def test_storage_failure_is_answered_error_not_ok(on_loop):
    async def scenario():
        async with Harness(fail=True, on_loop=on_loop) as h:
            c = await h.connect()
            await c.send(login())
            await c.answer()
            await c.send(report())
            assert (await c.answer()).response == Response.ERROR
            assert h.errors["storage"] == 1 and h.gateway.stats.samples == 0

    run(scenario())


def test_forwarding_platform_login():
    async def scenario():
        async with Harness() as h:
            c = await h.connect()
            await c.send(
                cmd(Command.PLATFORM_LOGIN, data=PlatformLogin(NOW, 1, "forwarder", "wrong").encode())
            )
            assert (await c.answer()).response == Response.ERROR
            await c.send(
                cmd(Command.PLATFORM_LOGIN, data=PlatformLogin(NOW, 2, "forwarder", "s3cret").encode())
            )
            assert (await c.answer()).response == Response.OK
            await c.send(report(VIN) + report(OTHER) + report(UNKNOWN))
            answers = [await c.answer() for _ in range(3)]
            assert [(a.vin, a.response) for a in answers] == [
                (VIN, Response.OK),
                (OTHER, Response.OK),
                (UNKNOWN, Response.ERROR),
            ]
            await c.send(cmd(Command.PLATFORM_LOGOUT, data=Logout(NOW, 2).encode()))
            assert (await c.answer()).response == Response.OK
            await c.send(report(VIN))
            assert (await c.answer()).response == Response.ERROR

    run(scenario())


def test_a_flood_of_garbage_does_not_stop_the_gateway():
    async def scenario():
        async with Harness() as h:
            noisy = await h.connect()
            await noisy.send(bytes(range(256)) * 400 + b"##" + b"\xff" * 5000)
            noisy.writer.close()
            c = await h.connect()
            await c.send(cmd(Command.HEARTBEAT))
            assert (await c.answer()).response == Response.OK
            assert h.errors["garbage"] >= 1

    run(scenario())


def test_a_batch_after_a_quiet_spell_starts_at_once_and_the_next_waits_its_slot():
    async def scenario():
        batches = []

        async def flush(items):
            batches.append(list(items))

        batcher = Batcher(flush, max_delay=0.5)
        batcher.start()
        try:
            began = asyncio.get_running_loop().time()
            await asyncio.wait_for(batcher.submit("a"), 0.2)  # no wait for the delay after a quiet spell
            second = batcher.submit("b")
            third = batcher.submit("c")
            await asyncio.sleep(0.2)
            assert not second.done()  # the next batch keeps its distance from the last
            await asyncio.wait_for(asyncio.gather(second, third), 1.0)
            assert asyncio.get_running_loop().time() - began >= 0.45
            assert batches == [["a"], ["b", "c"]]
        finally:
            await batcher.close()

    run(scenario())
