from django.db import migrations, models

SAMPLE_SQL = """
CREATE TABLE telemetry_sample (
    vin varchar(17) NOT NULL,
    sampled_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    battery_id bigint NULL,
    reissued boolean NOT NULL DEFAULT false,
    vehicle_state smallint NULL,
    charging_state smallint NULL,
    speed_kmh real NULL,
    mileage_km double precision NULL,
    voltage_v real NULL,
    current_a real NULL,
    soc_pct smallint NULL,
    insulation_kohm integer NULL,
    max_cell_v real NULL,
    min_cell_v real NULL,
    max_temp_c smallint NULL,
    min_temp_c smallint NULL,
    alarm_level smallint NULL,
    alarm_flags bigint NULL,
    longitude double precision NULL,
    latitude double precision NULL,
    PRIMARY KEY (vin, sampled_at)
) PARTITION BY RANGE (sampled_at);
CREATE INDEX telemetry_sample_battery_time ON telemetry_sample (battery_id, sampled_at);
"""


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.RunSQL(
            SAMPLE_SQL,
            reverse_sql="DROP TABLE IF EXISTS telemetry_sample CASCADE;",
            state_operations=[
                migrations.CreateModel(
                    name="Sample",
                    fields=[
                        ("pk", models.CompositePrimaryKey("vin", "sampled_at", blank=True, editable=False, primary_key=True, serialize=False)),
                        ("vin", models.CharField(max_length=17, verbose_name="VIN")),
                        ("sampled_at", models.DateTimeField(verbose_name="sampled at")),
                        ("received_at", models.DateTimeField(verbose_name="received at")),
                        ("battery_id", models.BigIntegerField(null=True, verbose_name="pack")),
                        ("reissued", models.BooleanField(default=False)),
                        ("vehicle_state", models.SmallIntegerField(null=True)),
                        ("charging_state", models.SmallIntegerField(null=True)),
                        ("speed_kmh", models.FloatField(null=True)),
                        ("mileage_km", models.FloatField(null=True)),
                        ("voltage_v", models.FloatField(null=True, verbose_name="total voltage (V)")),
                        ("current_a", models.FloatField(null=True, verbose_name="total current (A)")),
                        ("soc_pct", models.SmallIntegerField(null=True, verbose_name="SOC (%)")),
                        ("insulation_kohm", models.IntegerField(null=True)),
                        ("max_cell_v", models.FloatField(null=True)),
                        ("min_cell_v", models.FloatField(null=True)),
                        ("max_temp_c", models.SmallIntegerField(null=True)),
                        ("min_temp_c", models.SmallIntegerField(null=True)),
                        ("alarm_level", models.SmallIntegerField(null=True)),
                        ("alarm_flags", models.BigIntegerField(null=True)),
                        ("longitude", models.FloatField(null=True)),
                        ("latitude", models.FloatField(null=True)),
                    ],
                    options={"db_table": "telemetry_sample", "ordering": ["vin", "sampled_at"], "managed": False},
                ),
            ],
        ),
        migrations.CreateModel(
            name="RawFrame",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("received_at", models.DateTimeField(db_index=True)),
                ("vin", models.CharField(max_length=17)),
                ("command", models.SmallIntegerField()),
                ("raw", models.BinaryField()),
            ],
            options={"indexes": [models.Index(fields=["vin", "received_at"], name="telemetry_r_vin_0242f9_idx")]},
        ),
    ]
