from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile every .po catalogue to .mo with polib (no GNU gettext needed)."

    requires_system_checks = []

    def handle(self, *args, **opts):
        roots = [Path(settings.BASE_DIR)]
        count = 0
        for root in roots:
            for po_path in root.glob("**/locale/*/LC_MESSAGES/*.po"):
                if ".venv" in po_path.parts:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
                count += 1
        if opts["verbosity"]:
            self.stdout.write(f"compiled {count} catalogue(s)")
