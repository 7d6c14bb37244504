"""Loads the versioned reference files in ``data/`` (divisions, parameters, guide text) into their tables.

Used by the data migration and by ``manage.py load_network_data`` after a file is corrected. Takes the model
classes as arguments so that migrations can pass their historical models.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def load_divisions(Division) -> int:
    rows = read("divisions.json")["divisions"]
    for row in rows:
        Division.objects.update_or_create(
            code=row["code"],
            defaults={k: row[k] for k in ("region", "level", "name_zh", "name_en", "lat", "lon")},
        )
    return len(rows)


def load_parameters(NetworkParameter, *, overwrite: bool = False) -> int:
    """Insert missing parameters; with ``overwrite`` also reset edited values to the file's."""
    rows = read("parameters.json")["parameters"]
    for row in rows:
        defaults = {k: row.get(k, "") for k in ("value", "description", "source", "confidence")}
        if overwrite:
            NetworkParameter.objects.update_or_create(key=row["key"], defaults=defaults)
        else:
            NetworkParameter.objects.get_or_create(key=row["key"], defaults=defaults)
    return len(rows)


def load_guide(GuideSection, *, overwrite: bool = False) -> int:
    rows = read("guide.json")["sections"]
    fields = ("order", "icon", "title_zh", "title_en", "body_zh", "body_en")
    for row in rows:
        defaults = {k: row[k] for k in fields}
        if overwrite:
            GuideSection.objects.update_or_create(key=row["key"], defaults=defaults)
        else:
            GuideSection.objects.get_or_create(key=row["key"], defaults=defaults)
    return len(rows)
