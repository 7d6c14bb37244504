"""Telemetry samples and raw frames (GB/T 32960.3-2016 real-time reports).

``Sample`` is a view of a table partitioned by month (created by migration 0001 with SQL: Django does not
manage declarative partitioning); one row per vehicle and sampling time, keyed also by the pack bound to the
vehicle at that time. ``RawFrame`` keeps each frame as received, for audit, for a configured number of days.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sample(models.Model):
    pk = models.CompositePrimaryKey("vin", "sampled_at")
    vin = models.CharField(_("VIN"), max_length=17)
    sampled_at = models.DateTimeField(_("sampled at"))
    received_at = models.DateTimeField(_("received at"))
    battery_id = models.BigIntegerField(_("pack"), null=True)
    reissued = models.BooleanField(default=False)
    vehicle_state = models.SmallIntegerField(null=True)
    charging_state = models.SmallIntegerField(null=True)
    speed_kmh = models.FloatField(null=True)
    mileage_km = models.FloatField(null=True)
    voltage_v = models.FloatField(_("total voltage (V)"), null=True)
    current_a = models.FloatField(_("total current (A)"), null=True)
    soc_pct = models.SmallIntegerField(_("SOC (%)"), null=True)
    insulation_kohm = models.IntegerField(null=True)
    max_cell_v = models.FloatField(null=True)
    min_cell_v = models.FloatField(null=True)
    max_temp_c = models.SmallIntegerField(null=True)
    min_temp_c = models.SmallIntegerField(null=True)
    alarm_level = models.SmallIntegerField(null=True)
    alarm_flags = models.BigIntegerField(null=True)
    longitude = models.FloatField(null=True)
    latitude = models.FloatField(null=True)

    class Meta:
        managed = False
        db_table = "telemetry_sample"
        ordering = ["vin", "sampled_at"]


class RawFrame(models.Model):
    received_at = models.DateTimeField(db_index=True)
    vin = models.CharField(max_length=17)
    command = models.SmallIntegerField()
    raw = models.BinaryField()

    class Meta:
        indexes = [models.Index(fields=["vin", "received_at"])]
