from rest_framework import serializers

from dashboards.models import Finding


class FindingSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name_zh", read_only=True)
    rule = serializers.CharField(source="rule.code", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "enterprise", "enterprise_name", "region", "rule", "period", "measured", "points_lost",
                  "evidence", "status", "created_at", "decided_at"]  # fmt: skip


class ForecastLifetimeSerializer(serializers.Serializer):
    shape = serializers.FloatField()
    mean = serializers.FloatField(help_text="mean lifetime, years")


class ForecastRowSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    kind = serializers.CharField(help_text="fit (years with the plan's figures), projection, or uncovered")
    forecast = serializers.FloatField(allow_null=True, help_text="retired tonnes, central")
    low = serializers.FloatField(allow_null=True, help_text="lower end of the band, tonnes")
    high = serializers.FloatField(allow_null=True, help_text="upper end of the band, tonnes")
    reference = serializers.FloatField(allow_null=True, help_text="the pilot plan's figure, tonnes")
    observed_tonnes = serializers.FloatField(help_text="retirements recorded on the platform, tonnes")
    observed_packs = serializers.IntegerField()


class ForecastOutlookSerializer(serializers.Serializer):
    """The retirement forecast of one region or all of Jingjinji (R-FORECAST)."""

    region = serializers.CharField()
    calibrated = serializers.BooleanField()
    calibrated_at = serializers.DateTimeField(allow_null=True)
    data_version = serializers.CharField()
    rmse = serializers.FloatField(allow_null=True)
    mape = serializers.FloatField(allow_null=True)
    holdout_mape = serializers.FloatField(allow_null=True)
    mape_pct = serializers.FloatField(allow_null=True)
    holdout_mape_pct = serializers.FloatField(allow_null=True)
    draws = serializers.IntegerField()
    lifetimes = serializers.DictField(child=ForecastLifetimeSerializer())
    last_data_year = serializers.IntegerField()
    covered_until = serializers.IntegerField()
    rows = ForecastRowSerializer(many=True)
