"""`make stop`: every process `run_platform` recorded under .data/run/ is stopped, the newest first."""

import os
import subprocess
import sys

import psutil
import pytest

from core import embedded

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
# A parent that starts a child and, unlike run_platform, ignores it when told to stop.
NEGLECTFUL_PARENT = [
    sys.executable,
    "-c",
    "import subprocess, sys, time; "
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
    "print(child.pid, flush=True); time.sleep(120)",
]


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded, "RUN_DIR", tmp_path / "run")
    monkeypatch.setattr(embedded, "STOP_GRACE", 5)
    return tmp_path / "run"


def test_stop_processes_stops_every_recorded_process_newest_first(run_dir):
    parent = subprocess.Popen(NEGLECTFUL_PARENT, stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    other = subprocess.Popen(SLEEPER)
    try:
        embedded.record_process("supervisor", parent.pid)
        embedded.record_process("child", child_pid)
        embedded.record_process("other", other.pid)
        lines = []

        stopped = embedded.stop_processes(report=lines.append)

        assert stopped == ["other", "child", "supervisor"]
        assert lines == [
            f"stopped other (pid {other.pid})",
            f"stopped child (pid {child_pid})",
            f"stopped supervisor (pid {parent.pid})",
        ]
        assert parent.wait(5) is not None and other.wait(5) is not None
        assert not psutil.pid_exists(child_pid) or psutil.Process(child_pid).status() == psutil.STATUS_ZOMBIE
        assert list(run_dir.iterdir()) == []
    finally:
        for proc in (parent, other):
            proc.kill()
        if psutil.pid_exists(child_pid):
            psutil.Process(child_pid).kill()


def test_a_pid_file_whose_pid_now_belongs_to_another_process_is_dropped_not_signalled(run_dir):
    run_dir.mkdir()
    (run_dir / "gunicorn.pid").write_text(f"{os.getpid()} 12345.0\n")  # this test's pid, another start time

    assert embedded.recorded_processes() == []
    assert embedded.stop_processes(report=lambda line: None) == []
    assert not (run_dir / "gunicorn.pid").exists()


def test_stale_and_garbled_pid_files_are_ignored(run_dir):
    run_dir.mkdir()
    (run_dir / "celery.pid").write_text("not a pid\n")
    gone = subprocess.Popen(SLEEPER)
    embedded.record_process("simulator", gone.pid)
    gone.kill()
    gone.wait()

    assert embedded.recorded_processes() == []
    assert list(run_dir.iterdir()) == []
