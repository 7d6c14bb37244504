import pytest

from national_sync import services
from national_sync.client import set_client
from tests.dsn import dsn_of

from .support import FakePlatform


@pytest.fixture
def platform():
    fake = FakePlatform()
    set_client(fake)
    yield fake
    set_client(None)


@pytest.fixture(autouse=True)
def _fresh_shards(settings):
    """Shard rows are created once per process; the test database is emptied between tests."""
    services._shards_ready = False
    settings.NATIONAL_SYNC_RATE_LIMIT = 0
    settings.NATIONAL_SYNC_THREADS = 1  # threads would not see the test's open transaction
    yield
    services._shards_ready = False


@pytest.fixture
def simulator(db):
    """The national-platform simulator in a thread, on a free port, storing in the test database."""
    import threading

    from django.db import connection

    from national_sync.simulator.server import build, parse_args

    server, sim = build(
        parse_args(["--port", "0", "--database-url", dsn_of(connection), "--reset", "--seed", "1"])
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sim.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield sim
    server.shutdown()
    server.server_close()
    sim.store.pool.closeall()
