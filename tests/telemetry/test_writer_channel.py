"""The gateway's channel to its writer process over a socket pair: results come back per batch, a refused batch
and a writer that dies raise ``WriterFailed`` (the gateway answers those reports error), and the next batch
starts a new writer. The writer here is a spawned process that stores nothing (no database)."""

import asyncio
import os

import pytest

from telemetry.writer_process import WriterChannel, WriterFailed, answer_batches


def _store(items):
    if "refuse" in items:
        raise ValueError("refused on purpose")
    if "die" in items:
        os._exit(3)  # the process ends without answering, as a crash would
    return [f"stored {item}" for item in items]


def fake_writer(sock, _keep_raw, _synchronous_commit):
    answer_batches(sock, _store)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_batches_are_answered_in_order_by_the_writer_process():
    async def scenario():
        channel = WriterChannel(target=fake_writer)
        await channel.start()
        try:
            assert await channel.flush(["a", "b"]) == ["stored a", "stored b"]
            big = [
                f"x{i}" * 100 for i in range(2000)
            ]  # larger than a socket buffer: written without blocking
            assert await channel.flush(big) == [f"stored {x}" for x in big]
        finally:
            await channel.close()
        assert channel._process is None

    run(scenario())


def test_a_refused_batch_raises_and_the_writer_goes_on():
    async def scenario():
        channel = WriterChannel(target=fake_writer)
        await channel.start()
        try:
            with pytest.raises(WriterFailed, match="refused on purpose"):
                await channel.flush(["refuse"])
            assert await channel.flush(["c"]) == ["stored c"]
        finally:
            await channel.close()

    run(scenario())


def test_a_writer_that_dies_fails_its_batch_and_is_started_again():
    async def scenario():
        channel = WriterChannel(target=fake_writer)
        await channel.start()
        first = channel._process.pid
        try:
            with pytest.raises(WriterFailed, match="ended"):
                await channel.flush(["die"])
            assert await channel.flush(["d"]) == ["stored d"]
            assert channel._process.pid != first
        finally:
            await channel.close()

    run(scenario())
