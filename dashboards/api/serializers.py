from rest_framework import serializers

from dashboards.models import Finding


class FindingSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name_zh", read_only=True)
    rule = serializers.CharField(source="rule.code", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "enterprise", "enterprise_name", "region", "rule", "period", "measured", "points_lost",
                  "evidence", "status", "created_at", "decided_at"]  # fmt: skip
