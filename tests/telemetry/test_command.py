"""``manage.py run_gbt32960`` as its own process (spawned writer process included): a terminal logs in, reports,
is answered after the commit, and the gateway publishes its status for /metrics."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from telemetry import conf
from telemetry.models import Sample
from telemetry.protocol.frame import GMT8, Command, FrameSplitter, Response, encode_frame
from telemetry.protocol.messages import Report, VehicleLogin
from tests.dsn import dsn_of
from tests.telemetry.factories import make_vehicle, vehicle_block
from tests.valuation.factories import BatteryFactory, bind

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_gateway_process_stores_and_answers():
    vehicle = make_vehicle()
    pack = BatteryFactory()
    bind(pack, vehicle, start=date(2020, 1, 1))
    env = {
        **os.environ,
        "DATABASE_URL": dsn_of(connection),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TELEMETRY_BATCH_MAX_DELAY": "0.01",
    }
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "run_gbt32960", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the gateway did not start"
                time.sleep(0.2)
        now = datetime.now(GMT8).replace(microsecond=0)
        login = VehicleLogin(now, 1, "8986" * 5, (pack.code,)).encode()
        sock.sendall(
            encode_frame(
                command=Command.VEHICLE_LOGIN, response=Response.COMMAND, vin=vehicle.vin, data=login
            )
        )
        report = Report(now, (vehicle_block(soc=77),)).encode()
        sock.sendall(
            encode_frame(command=Command.REALTIME, response=Response.COMMAND, vin=vehicle.vin, data=report)
        )
        splitter, answers = FrameSplitter(), []
        while len(answers) < 2:
            chunk = sock.recv(4096)
            assert chunk, f"the gateway closed the connection after {answers}"
            answers += splitter.feed(chunk)
        assert [(a.command, a.response) for a in answers] == [(1, Response.OK), (2, Response.OK)]
        # acknowledged means committed: the sample is there at once, keyed by the bound pack
        assert Sample.objects.get(vin=vehicle.vin).battery_id == pack.pk
        sock.close()

        client = redis.Redis.from_url(settings.REDIS_URL)
        status = None
        for _ in range(50):
            raw = client.get(f"{conf.STATUS_KEY_PREFIX}127.0.0.1:{port}")
            status = json.loads(raw) if raw else None
            if status and status["samples"] >= 1:
                break
            time.sleep(0.2)
        assert status and status["samples"] == 1 and status["frames"] == {"01": 1, "02": 1}
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert "gateway stopped: 1 samples stored" in out
