"""Load the versioned reference data in ``data/cascade-rules-v1.json`` (scenarios with their SOH bands,
waste hand-over periods; domain.md §6). Used by the data migration; idempotent, so a corrected file is
loaded again by a new migration calling :func:`load` with its path."""

from __future__ import annotations

import json
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "cascade-rules-v1.json"


def load(apps, path: Path = DATA_FILE) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    scenario = apps.get_model("cascade_use", "Scenario")
    rule = apps.get_model("cascade_use", "WasteDeadlineRule")
    for item in raw["scenarios"]:
        scenario.objects.update_or_create(
            key=item["key"],
            defaults={
                "family": item["family"],
                "name_en": item["name_en"],
                "name_zh": item["name_zh"],
                "min_soh_pct": item["min_soh_pct"],
                "max_soh_pct": item["max_soh_pct"],
                "confidence": item.get("confidence", "U"),
                "version": raw["version"],
                "is_active": item.get("is_active", True),
            },
        )
    for item in raw["waste_deadlines"]:
        rule.objects.update_or_create(
            reason=item["reason"],
            defaults={
                "days": item["days"],
                "confidence": item.get("confidence", "U"),
                "source": item["source"],
            },
        )
