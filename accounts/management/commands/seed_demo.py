import importlib
import importlib.util
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Organisation
from core.demo import DemoWorld

# Each app's demo builds on the ones before it: the project's apps that have one, in the order the settings list
# them (core's demo module is the world they share, not a demo of its own).
DEMO_APPS = [
    app
    for app in settings.LOCAL_APPS
    if app != "core" and importlib.util.find_spec(f"{app}.demo") is not None
]


class Command(BaseCommand):
    help = "Load the deterministic demo world; --scale N grows vehicles and batteries for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1)
        parser.add_argument("--seed", type=int, default=20260401)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when organisations exist")

    def handle(self, *args, **opts):
        if opts["if_empty"] and Organisation.objects.exists():
            self.stdout.write("demo world already loaded")
            return
        world = DemoWorld(scale=opts["scale"], seed=opts["seed"])
        for app in DEMO_APPS:
            module = importlib.import_module(f"{app}.demo")
            started = time.monotonic()
            with transaction.atomic():
                module.seed(world)
            self.stdout.write(f"  {app:<18} {time.monotonic() - started:6.1f} s")
        self.stdout.write(self.style.SUCCESS(f"demo world loaded (scale {world.scale})"))
