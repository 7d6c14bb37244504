"""Migrate, load the demo world once, and serve the platform with a real Celery worker and beat."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from core import embedded
from core.demo import DEMO_PASSWORD

LOGINS = [
    ("regulator (Beijing, industry and IT)", "bj-industry-it"),
    ("regulator (Tianjin, industry and IT)", "tj-industry-it"),
    ("automaker (BAIC BJEV)", "baic"),
    ("battery maker (CATL)", "catl"),
    ("service point operator (Beijing)", "bj-recycle"),
    ("dismantler (Beijing)", "bj-dismantle"),
    ("cascade-use enterprise", "cascade-bj"),
    ("regeneration enterprise", "regen-tj"),
    ("alliance secretariat", "alliance"),
    ("platform administrator", "admin"),
]


class Command(BaseCommand):
    help = "Run the platform: web on 127.0.0.1:8000, Celery worker and beat, embedded services if needed."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true")

    def handle(self, *args, **opts):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo", if_empty=True)
        call_command("collectstatic", interactive=False, verbosity=0)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
        py = sys.executable
        beat_file = str(embedded.DATA_DIR / "celerybeat-schedule")
        commands = []
        if not opts["no_worker"]:
            commands.append(
                ["celery", "-A", "config", "worker", "-l", "warning", "-c", "2", "-B", "-s", beat_file]
            )
        if not settings.NATIONAL_PLATFORM_URL:
            # No national endpoint configured: deliver to the bundled simulator of the national platform.
            commands.append(["national_sync.simulator", "--port", "8765"])
        # GB/T 32960 vehicle telemetry gateway (TCP)
        commands.append(["manage", "run_gbt32960", "--host", "127.0.0.1", "--port", "32960"])
        gunicorn = ["gunicorn", "config.wsgi", "-b", opts["bind"], "-w", "3", "--threads", "4"]
        commands.append([*gunicorn, "--access-logfile", "-", "--timeout", "120"])
        # Each process is recorded under .data/run/ by its module's name, so `make stop` finds whatever runs here.
        embedded.record_process("run_platform", os.getpid())
        children: list[tuple[str, subprocess.Popen]] = []
        for command in commands:
            child = subprocess.Popen([py, "-m", *command], env=env)
            taken = sum(1 for name, _ in children if name.split("-")[0] == command[0])
            name = f"{command[0]}-{taken + 1}" if taken else command[0]  # two processes of one module
            embedded.record_process(name, child.pid)
            children.append((name, child))
        self._banner(opts["bind"])
        stop = {"now": False}

        def _stop(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        try:
            while not stop["now"] and all(c.poll() is None for _, c in children):
                time.sleep(0.5)
        finally:
            # The newest first: the web server stops taking requests before the worker it hands tasks to.
            for name, child in reversed(children):
                if child.poll() is None:
                    child.terminate()
                try:
                    child.wait(timeout=embedded.STOP_GRACE)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                embedded.forget_process(name)
                self.stdout.write(f"stopped {name} (pid {child.pid})")
            embedded.stop_services(embedded.STARTED)
            embedded.forget_process("run_platform")

    def _banner(self, bind: str) -> None:
        url = f"http://{bind}"
        lines = [
            "",
            f"Jingjinji Battery Trace is running at {url}/",
            f"  API docs: {url}/api/docs/    public service points: {url}/service-points/",
            "  national platform: "
            + (settings.NATIONAL_PLATFORM_URL or "bundled simulator on http://127.0.0.1:8765"),
            f"  Log in at {url}/accounts/login/ with password {DEMO_PASSWORD!r} as:",
        ]
        lines += [f"    {user:<16} {role}" for role, user in LOGINS]
        lines.append(
            "  Stop with Ctrl-C here, or `make stop` (python -m core.embedded stop) from another terminal:"
            " it stops the web server, the simulator, the worker and beat, Redis and PostgreSQL."
        )
        self.stdout.write("\n".join(lines))
