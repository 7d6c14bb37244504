"""The gateway's collector policy: while connections arrive, what survived is frozen (a collection does not walk
it); the periodic sweep still collects cyclic garbage that was frozen."""

import asyncio
import gc
import weakref

from telemetry.gateway import Stats
from telemetry.management.commands.run_gbt32960 import hold_long_lived


class Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the collector frees it


def test_arriving_connections_freeze_and_the_sweep_collects_frozen_cycles():
    async def scenario():
        stats = Stats()
        gc.unfreeze()
        node = Node()
        alive = weakref.ref(node)
        holding = asyncio.create_task(hold_long_lived(stats, every=0.01, sweep_every=3600))
        try:
            await asyncio.sleep(0.05)
            assert gc.get_freeze_count() == 0  # no connection arrived: nothing frozen
            stats.connections += 1
            await asyncio.sleep(0.05)
            assert gc.get_freeze_count() > 0
            del node
            gc.collect()
            assert alive() is not None  # frozen: out of the collector's sight
        finally:
            holding.cancel()
        sweeping = asyncio.create_task(hold_long_lived(stats, every=0.01, sweep_every=0.0))
        try:
            await asyncio.sleep(0.05)
            assert alive() is None  # the sweep found the cycle
            assert gc.get_freeze_count() > 0  # and froze the rest again
        finally:
            sweeping.cancel()
            gc.unfreeze()

    asyncio.run(scenario())
