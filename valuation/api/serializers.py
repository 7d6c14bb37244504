from rest_framework import serializers

from valuation.models import PriceSet, Valuation, ValuationJob


class ValuationOutputSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="battery.code")
    model_versions = serializers.SerializerMethodField()
    rul = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = Valuation
        fields = [
            "id", "code", "valuation_date", "soh", "soh_source", "rul", "grade", "route", "scenarios",
            "value_cny", "reasons", "price_set", "model_versions", "created_at",
        ]  # fmt: skip

    def get_model_versions(self, obj) -> dict:
        return {"parameters": obj.parameters_version, "grading": obj.grading_version}

    def get_rul(self, obj) -> dict:
        r = obj.result
        return {
            "years": r.get("rul_years"),
            "interval_years": [r.get("rul_low_years"), r.get("rul_high_years")],
            "efc": r.get("rul_efc"),
            "eol_soh": r.get("eol_soh"),
        }

    def get_reasons(self, obj) -> list[str]:
        return obj.result.get("reasons", [])


class ValuationDetailSerializer(ValuationOutputSerializer):
    class Meta(ValuationOutputSerializer.Meta):
        fields = [*ValuationOutputSerializer.Meta.fields, "inputs", "prices", "result"]


class PriceSetSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceSet
        fields = ["id", "effective_date", "prices", "source", "created_at"]


class JobInputSerializer(serializers.Serializer):
    codes = serializers.ListField(
        child=serializers.CharField(max_length=25), required=False, max_length=10000
    )
    service_point = serializers.CharField(
        required=False, max_length=64, help_text="place reference of a service point, e.g. sp:12"
    )
    custody = serializers.BooleanField(required=False, help_text="all retired packs in your custody")
    valuation_date = serializers.DateField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs):
        given = [k for k in ("codes", "service_point", "custody") if attrs.get(k)]
        if len(given) != 1:
            raise serializers.ValidationError("give exactly one of codes, service_point or custody")
        return attrs


class JobOutputSerializer(serializers.ModelSerializer):
    progress_pct = serializers.IntegerField()

    class Meta:
        model = ValuationJob
        fields = [
            "id", "description", "status", "total", "done", "failed", "progress_pct", "errors",
            "valuation_date", "created_at", "started_at", "finished_at",
        ]  # fmt: skip


class SortUnitSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    soh = serializers.FloatField(min_value=0, max_value=1.5)
    internal_resistance = serializers.FloatField(min_value=0.000001, help_text="same unit for all (e.g. mΩ)")


class SortInputSerializer(serializers.Serializer):
    items = SortUnitSerializer(many=True, allow_empty=False, max_length=10000)
    soh_tolerance = serializers.FloatField(min_value=0, max_value=1, default=0.03)
    ir_tolerance = serializers.FloatField(min_value=0, max_value=10, default=0.10)
    min_group_size = serializers.IntegerField(min_value=1, default=2)
