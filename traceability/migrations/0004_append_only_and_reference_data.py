"""The event table and the ledger refuse UPDATE and DELETE (append-only, R-LIFE); the deadline table and the
holiday calendar are loaded from the versioned files in ``traceability/data/``."""

import csv
from datetime import date, timedelta
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"
TABLES = [
    ("traceability_lifecycleevent", "lifecycle_event_append_only"),
    ("traceability_ledgerleaf", "ledger_leaf_append_only"),
    ("traceability_ledgernode", "ledger_node_append_only"),
    ("traceability_signedtreehead", "signed_tree_head_append_only"),
]

FUNCTION = """
CREATE OR REPLACE FUNCTION traceability_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

TRIGGERS = "\n".join(
    f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION traceability_refuse_change();"
    for table, name in TABLES
)
DROP = "\n".join(f"DROP TRIGGER IF EXISTS {name} ON {table};" for table, name in TABLES) + (
    "\nDROP FUNCTION IF EXISTS traceability_refuse_change();"
)


def load_deadlines(apps, schema_editor):
    DeadlineRule = apps.get_model("traceability", "DeadlineRule")
    with open(DATA / "deadlines-2018.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            DeadlineRule.objects.update_or_create(
                event_kind=row["event_kind"],
                actor_kind=row["actor_kind"],
                valid_from=date.fromisoformat(row["valid_from"]) if row["valid_from"] else None,
                defaults={
                    "working_days": int(row["working_days"]),
                    "confidence": row["confidence"],
                    "source": row["source"],
                },
            )


def load_calendar(apps, schema_editor):
    CalendarDay = apps.get_model("traceability", "CalendarDay")
    days = {}
    with open(DATA / "holidays-cn.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            first, last = date.fromisoformat(row["first"]), date.fromisoformat(row["last"])
            while first <= last:
                days[first] = CalendarDay(date=first, is_working_day=row["is_working_day"] == "1", name=row["name"])
                first += timedelta(days=1)
    CalendarDay.objects.bulk_create(days.values(), update_conflicts=True, unique_fields=["date"],
                                    update_fields=["is_working_day", "name"])  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("traceability", "0003_alter_battery_code")]

    operations = [
        migrations.RunSQL(FUNCTION + TRIGGERS, DROP),
        migrations.RunPython(load_deadlines, migrations.RunPython.noop),
        migrations.RunPython(load_calendar, migrations.RunPython.noop),
    ]
