"""Load the versioned reference data in ``data/regeneration-rules-v1.json``: waste categories and the
recovery thresholds of the 2019 and 2024 editions of the industry standard conditions (domain.md §4).
Used by the data migration; idempotent, so a corrected file is loaded by a new migration calling
:func:`load` with its path."""

from __future__ import annotations

import json
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "regeneration-rules-v1.json"


def load(apps, path: Path = DATA_FILE) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    category = apps.get_model("regeneration", "WasteCategory")
    edition_model = apps.get_model("regeneration", "ThresholdEdition")
    threshold = apps.get_model("regeneration", "RecoveryThreshold")
    for item in raw["waste_categories"]:
        category.objects.update_or_create(
            code=item["code"],
            defaults={
                "name_en": item["name_en"],
                "name_zh": item["name_zh"],
                "chemistries": item["chemistries"],
                "confidence": item.get("confidence", "U"),
                "version": raw["version"],
            },
        )
    for ed in raw["editions"]:
        edition, _ = edition_model.objects.update_or_create(
            code=ed["code"],
            defaults={
                "title_en": ed["title_en"],
                "title_zh": ed["title_zh"],
                "unexplained_mass_pct": ed["unexplained_mass_pct"],
                "is_default": ed.get("is_default", False),
                "version": raw["version"],
            },
        )
        for order, t in enumerate(ed["thresholds"]):
            threshold.objects.update_or_create(
                edition=edition,
                metric=t["metric"],
                defaults={
                    "order": order,
                    "applies_to": t["applies_to"],
                    "label_en": t["label_en"],
                    "label_zh": t["label_zh"],
                    "elements": t.get("elements", []),
                    "routes": t.get("routes", []),
                    "min_pct": t.get("min_pct"),
                    "max_pct": t.get("max_pct"),
                    "max_value": t.get("max_value"),
                    "confidence": t.get("confidence", "U"),
                },
            )
