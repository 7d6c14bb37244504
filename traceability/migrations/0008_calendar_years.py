"""The years the holiday calendar covers (2018–2026, from ``holidays-cn.csv``), so that a deadline past the last
one is marked provisional instead of silently counted without holidays."""

from django.db import migrations, models

from traceability.calendars import DATA, calendar_rows

SOURCE = "国务院办公厅关于部分节假日安排的通知 (2018–2026)"


def record_years(apps, schema_editor):
    CalendarYear = apps.get_model("traceability", "CalendarYear")
    years = sorted({d.year for d in calendar_rows(DATA / "holidays-cn.csv")})
    for year in years:
        CalendarYear.objects.update_or_create(year=year, defaults={"source": SOURCE, "loaded_at": None})


class Migration(migrations.Migration):
    dependencies = [("traceability", "0007_custody_releases_claims")]

    operations = [
        migrations.CreateModel(
            name="CalendarYear",
            fields=[
                ("year", models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                ("source", models.CharField(blank=True, max_length=200)),
                ("loaded_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"verbose_name": "holiday calendar year", "ordering": ["year"]},
        ),
        migrations.RunPython(record_years, migrations.RunPython.noop),
    ]
