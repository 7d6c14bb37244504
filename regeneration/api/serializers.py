from rest_framework import serializers

from ..models import (
    Batch,
    Element,
    Licence,
    OutputKind,
    RecoveryThreshold,
    Route,
    ThresholdEdition,
    WasteCategory,
)
from ..selectors import licence_usage_t


class WasteCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = WasteCategory
        fields = ["code", "name_en", "name_zh", "chemistries", "confidence", "version"]


class ThresholdSerializer(serializers.ModelSerializer):
    class Meta:
        model = RecoveryThreshold
        fields = ["metric", "applies_to", "label_en", "label_zh", "elements", "routes", "min_pct", "max_pct",
                  "max_value", "confidence"]  # fmt: skip


class EditionSerializer(serializers.ModelSerializer):
    thresholds = ThresholdSerializer(many=True)

    class Meta:
        model = ThresholdEdition
        fields = [
            "code",
            "title_en",
            "title_zh",
            "unexplained_mass_pct",
            "is_default",
            "version",
            "thresholds",
        ]


class LicenceOutput(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.uscc")
    usage = serializers.SerializerMethodField()

    class Meta:
        model = Licence
        fields = ["id", "enterprise", "number", "issuing_authority", "categories", "annual_scale_t", "valid_from",
                  "valid_to", "usage"]  # fmt: skip

    def get_usage(self, obj) -> dict:
        year = self.context.get("year") or obj.valid_to.year
        used = licence_usage_t(obj, year)
        return {"year": year, "used_t": str(round(used, 3)), "cap_t": str(obj.annual_scale_t)}


class LicenceInput(serializers.Serializer):
    number = serializers.CharField(max_length=64)
    issuing_authority = serializers.CharField(max_length=200)
    categories = serializers.ListField(child=serializers.CharField(max_length=32), min_length=1)
    annual_scale_t = serializers.DecimalField(max_digits=12, decimal_places=3)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()


class ReceiveInput(serializers.Serializer):
    battery = serializers.CharField(max_length=25)
    occurred_at = serializers.DateTimeField()
    mass_kg = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)


class BatchInputItem(serializers.Serializer):
    code = serializers.CharField(max_length=25)
    mass_kg = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)


class BatchCreateInput(serializers.Serializer):
    reference = serializers.CharField(max_length=64)
    started_at = serializers.DateTimeField()
    edition = serializers.CharField(max_length=10, required=False, allow_blank=True)
    inputs = BatchInputItem(many=True, allow_empty=False)
    powder_content_kg = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, default="", allow_blank=True)


class OutputItem(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OutputKind.choices)
    mass_kg = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    cu_impurity_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )
    al_impurity_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )


class Stage1Input(serializers.Serializer):
    finished_at = serializers.DateTimeField()
    outputs = OutputItem(many=True, allow_empty=False)


class RecoveryItem(serializers.Serializer):
    element = serializers.ChoiceField(choices=Element.choices)
    route = serializers.ChoiceField(choices=Route.choices)
    feed_kg = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0)
    recovered_kg = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0)
    product_form = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)


class Stage2Input(serializers.Serializer):
    finished_at = serializers.DateTimeField()
    recoveries = RecoveryItem(many=True, allow_empty=False)
    energy_kgce_per_t = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True
    )
    water_recycled_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )


class BatchOutput(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.uscc")
    edition = serializers.CharField(source="edition.code")
    inputs = serializers.SerializerMethodField()
    outputs = serializers.SerializerMethodField()
    recoveries = serializers.SerializerMethodField()

    class Meta:
        model = Batch
        fields = [
            "id",
            "reference",
            "enterprise",
            "edition",
            "status",
            "started_at",
            "dismantled_at",
            "recovered_at",
            "input_kg",
            "powder_content_kg",
            "energy_kgce_per_t",
            "water_recycled_pct",
            "flags",
            "has_shortfall",
            "has_unexplained_mass",
            "inputs",
            "outputs",
            "recoveries",
        ]

    def get_inputs(self, obj) -> list[dict]:
        return [{"code": i.battery.code, "mass_kg": str(i.mass_kg)} for i in obj.inputs.all()]

    def get_outputs(self, obj) -> list[dict]:
        return [
            {"kind": o.kind, "mass_kg": str(o.mass_kg), "cu_impurity_pct": o.cu_impurity_pct,
             "al_impurity_pct": o.al_impurity_pct}
            for o in obj.outputs.all()
        ]  # fmt: skip

    def get_recoveries(self, obj) -> list[dict]:
        return [
            {"element": r.element, "route": r.route, "feed_kg": str(r.feed_kg), "recovered_kg": str(r.recovered_kg),
             "product_form": r.product_form}
            for r in obj.recoveries.all()
        ]  # fmt: skip


def evaluation_data(evaluation) -> dict:
    return {
        "input_kg": str(evaluation.input_kg),
        "output_kg": str(evaluation.output_kg),
        "unexplained_kg": str(evaluation.unexplained_kg),
        "unexplained_pct": str(round(evaluation.unexplained_pct, 2)),
        "rates": [
            {
                "metric": r.metric,
                "label": r.label,
                "subject": r.subject,
                "value": str(round(r.value, 2)),
                "limit": str(r.limit),
                "kind": r.kind,
                "ok": r.ok,
            }
            for r in evaluation.rates
        ],  # fmt: skip
        "flags": [f.as_dict() for f in evaluation.flags],
    }
