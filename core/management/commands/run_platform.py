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
        children = [subprocess.Popen([py, "-m", *command], env=env) for command in commands]
        self._banner(opts["bind"])
        stop = {"now": False}

        def _stop(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        try:
            while not stop["now"] and all(c.poll() is None for c in children):
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
            if embedded.STARTED:
                embedded.stop()

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
        lines.append("  Ctrl-C stops the web server, the worker and the embedded services.")
        self.stdout.write("\n".join(lines))
