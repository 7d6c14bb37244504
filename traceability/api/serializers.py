"""Output serializers; inputs of the bulk endpoints are validated item by item in the services (R-BIND)."""

from rest_framework import serializers

from traceability.models import Battery


class BatterySerializer(serializers.ModelSerializer):
    maker = serializers.CharField(source="maker.display_name", default=None)
    custodian = serializers.CharField(source="custodian.display_name", default=None)
    parent = serializers.CharField(source="parent.code", default=None)

    class Meta:
        model = Battery
        fields = [
            "code", "level", "chemistry", "spec_code", "manufacturer_code", "rated_capacity_ah", "rated_energy_kwh",
            "mass_kg", "production_date", "state", "region", "registered", "is_cascade_product", "maker",
            "custodian", "parent",
        ]  # fmt: skip


class DecodedCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    manufacturer_code = serializers.CharField()
    manufacturer_registered = serializers.BooleanField()
    product_type = serializers.CharField()
    level = serializers.CharField()
    battery_type = serializers.CharField()
    chemistry = serializers.CharField()
    spec_code = serializers.CharField()
    traceability_code = serializers.CharField()
    production_date = serializers.DateField()
    serial = serializers.CharField()
    is_cascade = serializers.BooleanField()


class BulkResultSerializer(serializers.Serializer):
    summary = serializers.DictField()
    results = serializers.ListField(child=serializers.DictField())
