"""Battery Pass export benchmark (R-PUBLIC): every pack of a loaded demo world exported at once, against the
one-pack export of a few of them, and the queries each takes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jjj_bench .venv/bin/python manage.py seed_demo
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jjj_bench .venv/bin/python bench/passport.py --single 50

The database named by DATABASE_URL must hold the demo world (``manage.py seed_demo``); nothing is written.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=50, help="packs exported one by one for comparison")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from passport import selectors
    from traceability.models import Battery

    codes = list(Battery.objects.filter(level="P").order_by("code").values_list("code", flat=True))
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        many = selectors.battery_passes_for(codes=codes, user=None)
        elapsed = time.monotonic() - started
    print(f"many-pack export: {len(many)} packs in {elapsed:.2f} s, {len(queries)} queries")
    sample = codes[: args.single]
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        same = sum(selectors.battery_pass_for(code=c, user=None) == many[c] for c in sample)
        elapsed = time.monotonic() - started
    print(
        f"one-pack export: {len(sample)} packs in {elapsed:.2f} s ({elapsed / max(len(sample), 1) * 1000:.0f} ms a"
        f" pack), {len(queries)} queries; {same}/{len(sample)} equal to the many-pack answer"
    )


if __name__ == "__main__":
    main()
