"""The first price set, from the versioned data file (prices are data, replaced by the alliance's guidance)."""

import json
from datetime import date
from pathlib import Path

from django.db import migrations

PRICES_FILE = Path(__file__).resolve().parent.parent / "data" / "prices-2025-01-01.json"


def load(apps, schema_editor):
    PriceSet = apps.get_model("valuation", "PriceSet")
    data = json.loads(PRICES_FILE.read_text(encoding="utf-8"))
    effective = date.fromisoformat(data["effective_date"])
    if not PriceSet.objects.filter(effective_date=effective, source=data["source"]).exists():
        PriceSet.objects.create(effective_date=effective, prices=data["prices"], source=data["source"])


def unload(apps, schema_editor):
    PriceSet = apps.get_model("valuation", "PriceSet")
    data = json.loads(PRICES_FILE.read_text(encoding="utf-8"))
    PriceSet.objects.filter(source=data["source"], valuations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("valuation", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
