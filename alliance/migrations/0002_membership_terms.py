"""Membership tiers, terms and fees from the versioned ``alliance/data/membership-terms.json``."""

import json
from pathlib import Path

from django.db import migrations

TERMS = Path(__file__).resolve().parent.parent / "data" / "membership-terms.json"


def load(apps, schema_editor):
    Tier = apps.get_model("alliance", "MembershipTier")
    raw = json.loads(TERMS.read_text(encoding="utf-8"))
    for tier in raw["tiers"]:
        Tier.objects.update_or_create(
            code=tier["code"],
            version=raw["version"],
            defaults={
                "name_zh": tier["name_zh"],
                "name_en": tier["name_en"],
                "annual_fee_cny": tier["annual_fee_cny"],
                "votes": tier["votes"],
                "terms": tier["terms"],
                "valid_from": raw["valid_from"],
            },
        )


def unload(apps, schema_editor):
    raw = json.loads(TERMS.read_text(encoding="utf-8"))
    apps.get_model("alliance", "MembershipTier").objects.filter(version=raw["version"]).delete()


class Migration(migrations.Migration):
    dependencies = [("alliance", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
