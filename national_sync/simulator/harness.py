"""Process utilities shared by the reliability test and ``bench/sync.py``: start the simulator and Celery
workers as real processes, wait for them, kill them (SIGKILL to the whole process group)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, *, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:4]} exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=1).read()  # noqa: S310 - local simulator
            return
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def start_simulator(database_url: str, port: int, *extra: str, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "national_sync.simulator", "--port", str(port), "--database-url", database_url,
         "--reset", *extra],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    wait_http(f"http://127.0.0.1:{port}/healthz", proc=proc)
    return proc


def start_worker(
    env: dict[str, str], *, name: str, concurrency: int = 2, log: Path | None = None
) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    celery = Path(sys.executable).with_name("celery")
    return subprocess.Popen(
        [str(celery), "-A", "config", "worker", "-c", str(concurrency), "-P", "prefork", "-l", "warning",
         "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def clear_queue(broker, queue: str = "celery") -> None:
    """Drop queued and unacknowledged Celery messages and stored results (kombu's Redis keys)."""
    broker.delete(queue, "unacked", "unacked_index", "unacked_mutex")
    for key in broker.scan_iter("celery-task-meta-*", count=1000):
        broker.delete(key)


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the process and its children (a prefork worker's pool) at once."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        kill_group(proc, signal.SIGTERM)
    if proc.poll() is None:
        kill_group(proc, signal.SIGKILL)
