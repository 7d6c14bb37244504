from rest_framework import serializers

from ..models import (
    Authorisation,
    AuthorisationKind,
    ProductType,
    RepurposedProduct,
    SafetyAssessment,
    Scenario,
    Verdict,
)
from ..services import MAX_SOH_PCT


class ScenarioSerializer(serializers.ModelSerializer):
    class Meta:
        model = Scenario
        fields = [
            "key",
            "family",
            "name_en",
            "name_zh",
            "min_soh_pct",
            "max_soh_pct",
            "confidence",
            "version",
        ]


class AuthorisationOutput(serializers.ModelSerializer):
    battery_maker = serializers.CharField(source="battery_maker.uscc")
    battery_maker_name = serializers.CharField(source="battery_maker.display_name")
    enterprise = serializers.CharField(source="enterprise.uscc")
    enterprise_name = serializers.CharField(source="enterprise.display_name")

    class Meta:
        model = Authorisation
        fields = [
            "id",
            "kind",
            "battery_maker",
            "battery_maker_name",
            "enterprise",
            "enterprise_name",
            "chemistries",
            "product_types",
            "valid_from",
            "valid_to",
            "document_ref",
            "granted_at",
            "revoked_at",
            "revoke_reason",
        ]


class AuthorisationInput(serializers.Serializer):
    enterprise = serializers.CharField(help_text="USCC of the cascade-use enterprise")
    kind = serializers.ChoiceField(choices=AuthorisationKind.choices, default=AuthorisationKind.AUTHORISATION)
    chemistries = serializers.ListField(
        child=serializers.CharField(max_length=1), required=False, default=list
    )
    product_types = serializers.ListField(
        child=serializers.ChoiceField(choices=ProductType.choices), required=False, default=list
    )
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    document_ref = serializers.CharField(max_length=100)


class RevokeInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, default="")


class AssessmentOutput(serializers.ModelSerializer):
    battery = serializers.CharField(source="battery.code")

    class Meta:
        model = SafetyAssessment
        exclude = ["enterprise", "assessor", "created_at"]


class AssessmentInput(serializers.Serializer):
    battery = serializers.CharField(max_length=25, help_text="battery code")
    assessed_at = serializers.DateTimeField()
    assessor_name = serializers.CharField(max_length=100)
    visual_ok = serializers.BooleanField()
    visual_notes = serializers.CharField(max_length=300, required=False, default="")
    polarity_ok = serializers.BooleanField(default=True)
    voltage_v = serializers.DecimalField(max_digits=8, decimal_places=3)
    voltage_spread_mv = serializers.DecimalField(max_digits=8, decimal_places=1)
    voltage_consistency_ok = serializers.BooleanField()
    test_current_a = serializers.DecimalField(max_digits=8, decimal_places=2)
    remaining_capacity_ah = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=0)
    soh_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, min_value=0, max_value=MAX_SOH_PCT
    )
    insulation_mohm = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=0)
    insulation_ok = serializers.BooleanField()
    internal_resistance_mohm = serializers.DecimalField(max_digits=9, decimal_places=3, min_value=0)
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    limits = serializers.CharField(max_length=300, required=False, default="")
    notes = serializers.CharField(required=False, default="")


class ProductOutput(serializers.ModelSerializer):
    code = serializers.CharField(source="battery.code")
    enterprise = serializers.CharField(source="enterprise.uscc")
    scenario = serializers.CharField(source="scenario.key")
    scenario_family = serializers.CharField(source="scenario.family")
    sources = serializers.SerializerMethodField()

    class Meta:
        model = RepurposedProduct
        fields = [
            "id",
            "code",
            "name",
            "enterprise",
            "scenario",
            "scenario_family",
            "site",
            "site_region",
            "operator",
            "rated_energy_kwh",
            "nominal_voltage_v",
            "commissioned_at",
            "status",
            "retired_at",
            "sources",
        ]

    def get_sources(self, obj) -> list[dict]:
        return [
            {
                "code": s.battery.code,
                "authorisation": s.authorisation.document_ref,
                "assessment": s.assessment_id,
            }
            for s in obj.sources.all()
        ]


class ProductInput(serializers.Serializer):
    sources = serializers.ListField(child=serializers.CharField(max_length=25), min_length=1)
    scenario = serializers.SlugField()
    name = serializers.CharField(max_length=150)
    site = serializers.CharField(max_length=200)
    site_region = serializers.ChoiceField(choices=["BJ", "TJ", "HB", "OUT"])
    operator = serializers.CharField(max_length=200)
    commissioned_at = serializers.DateTimeField()
    level = serializers.ChoiceField(choices=ProductType.choices, default=ProductType.PACK)
    code = serializers.CharField(max_length=25, required=False, default="", allow_blank=True)
    rated_energy_kwh = serializers.DecimalField(
        max_digits=9, decimal_places=3, required=False, allow_null=True
    )
    nominal_voltage_v = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True
    )


class RetireInput(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=200, required=False, default="")


class WasteOutput(serializers.Serializer):
    code = serializers.CharField(source="battery.code")
    reason = serializers.CharField()
    since = serializers.DateTimeField()
    deadline = serializers.DateField()
    days_left = serializers.IntegerField()
    overdue = serializers.BooleanField()


class HandoverInput(serializers.Serializer):
    battery = serializers.CharField(max_length=25)
    to = serializers.CharField(max_length=18, help_text="USCC of the regeneration enterprise")
    occurred_at = serializers.DateTimeField()


class BatteryBrief(serializers.Serializer):
    code = serializers.CharField()
    state = serializers.CharField()
    level = serializers.CharField()
    chemistry = serializers.CharField()
    maker = serializers.CharField(source="maker.uscc", default=None)
