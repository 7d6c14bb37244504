from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from valuation.core.cycle_life import KNOWN_FEATURES
from valuation.models import PriceSet, Valuation, ValuationJob


class ValuationCycleLifeSerializer(serializers.Serializer):
    """The cycle-life answer behind an assessment, with its flags."""

    applied = serializers.BooleanField(help_text="false when the battery's chemistry or features do not fit")
    predicted_cycle_life = serializers.FloatField(required=False)
    interval = serializers.ListField(child=serializers.FloatField(), required=False)
    interval_level = serializers.FloatField(required=False)
    out_of_distribution = serializers.BooleanField(required=False)
    out_of_distribution_features = serializers.ListField(child=serializers.CharField(), required=False)
    imputed = serializers.ListField(child=serializers.CharField(), required=False)
    clipped_to_plausible_range = serializers.BooleanField(required=False)
    fade_bound = serializers.FloatField(required=False, allow_null=True)
    limited_by_fade_bound = serializers.BooleanField(required=False)
    model_version = serializers.CharField(required=False)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class ValuationOutputSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="battery.code")
    model_versions = serializers.SerializerMethodField()
    rul = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()
    cycle_life = serializers.SerializerMethodField()

    class Meta:
        model = Valuation
        fields = [
            "id", "code", "valuation_date", "soh", "soh_source", "rul", "grade", "route", "scenarios",
            "value_cny", "reasons", "cycle_life", "price_set", "model_versions", "created_at",
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

    @extend_schema_field(ValuationCycleLifeSerializer(allow_null=True))
    def get_cycle_life(self, obj) -> dict | None:
        return obj.result.get("cycle_life")


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


# --- request and response bodies of the cycle-life, assessment and sorter endpoints (OpenAPI) ---------------

CycleLifeFeaturesSerializer = type(
    "CycleLifeFeaturesSerializer",
    (serializers.Serializer,),
    {
        name: serializers.FloatField(
            required=False,
            help_text="early-cycle feature (BEEP feature set); omit the key when unknown — never NaN",
        )
        for name in KNOWN_FEATURES
    },
)


class CycleLifeInputSerializer(serializers.Serializer):
    items = CycleLifeFeaturesSerializer(many=True, help_text="one object of feature name → number per cell")


class ItemErrorsField(serializers.DictField):
    child = serializers.ListField(child=serializers.CharField())


class CycleLifeResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["ok", "error"])
    predicted_cycle_life = serializers.FloatField(
        required=False, help_text="cycles to 80 % of nominal capacity"
    )
    interval = serializers.ListField(
        child=serializers.FloatField(), required=False, min_length=2, max_length=2
    )
    interval_level = serializers.FloatField(required=False)
    out_of_distribution = serializers.BooleanField(required=False)
    out_of_distribution_features = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="features outside the training envelope; "
        "'joint' when their combination is"
    )  # fmt: skip
    imputed = serializers.ListField(child=serializers.CharField(), required=False)
    clipped_to_plausible_range = serializers.BooleanField(required=False)
    fade_bound = serializers.FloatField(
        required=False, allow_null=True, help_text="cycle at which the fade line of cycles 91–100 reaches 80 % of "
        "nominal capacity; the prediction is at most this; null when not applicable"
    )  # fmt: skip
    limited_by_fade_bound = serializers.BooleanField(
        required=False, help_text="true when the model predicted more than the fade bound"
    )
    model_version = serializers.CharField(required=False)
    errors = ItemErrorsField(required=False)


class CycleLifeSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    ok = serializers.IntegerField()
    error = serializers.IntegerField()


class CycleLifeOutputSerializer(serializers.Serializer):
    summary = CycleLifeSummarySerializer()
    results = CycleLifeResultSerializer(many=True)


class AssessItemSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=25, help_text="battery code; a plain string item is the code alone"
    )
    valuation_date = serializers.DateField(required=False)


class AssessInputSerializer(serializers.Serializer):
    items = AssessItemSerializer(many=True)


class BulkSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    error = serializers.IntegerField()


class AssessResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "error"])
    errors = ItemErrorsField(required=False)
    id = serializers.IntegerField(required=False)
    code = serializers.CharField(required=False)
    valuation_date = serializers.DateField(required=False)
    soh = serializers.FloatField(required=False)
    soh_source = serializers.CharField(required=False)
    rul = serializers.DictField(required=False)
    grade = serializers.CharField(required=False)
    route = serializers.CharField(required=False)
    scenarios = serializers.ListField(child=serializers.CharField(), required=False)
    value_cny = serializers.FloatField(required=False, allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField(), required=False)
    cycle_life = ValuationCycleLifeSerializer(required=False, allow_null=True)
    price_set = serializers.IntegerField(required=False)
    model_versions = serializers.DictField(required=False)
    created_at = serializers.DateTimeField(required=False)


class AssessOutputSerializer(serializers.Serializer):
    summary = BulkSummarySerializer()
    results = AssessResultSerializer(many=True)


class SortOutputSerializer(serializers.Serializer):
    groups = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    unmatched = serializers.ListField(child=serializers.CharField())
