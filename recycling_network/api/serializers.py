from django.urls import reverse
from rest_framework import serializers

from accounts.models import Organisation
from core.bounds import column_bounds
from recycling_network.services import RecycledCertificateInput

from ..choices import ChangeRequestKind, Condition, PointKind, ReviewAction, SourceKind
from ..models import (
    Intake,
    NetworkAlert,
    PointChangeRequest,
    ServicePoint,
    StockEntry,
    Transfer,
    TransferItem,
)


class OrgBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["uscc", "name_zh", "name_en"]


class PublicServicePointSerializer(serializers.ModelSerializer):
    """What the public sees of a published point. The contact phone appears only when the point chose to
    publish it (``phone_public``)."""

    district = serializers.SerializerMethodField()
    operator = OrgBriefSerializer(read_only=True)
    automakers = OrgBriefSerializer(many=True, read_only=True)
    co_built = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    distance_km = serializers.SerializerMethodField()

    class Meta:
        model = ServicePoint
        fields = [
            "id",
            "code",
            "name_zh",
            "name_en",
            "kind",
            "region",
            "district",
            "address",
            "lat",
            "lon",
            "operator",
            "automakers",
            "co_built",
            "opening_hours",
            "contact_phone",
            "capacity_packs",
            "capacity_kg",
            "has_isolation_area",
            "has_fire_suppression",
            "can_test",
            "can_sort",
            "can_pre_dismantle",
            "published_at",
            "url",
            "distance_km",
        ]

    def get_district(self, obj) -> dict:
        d = obj.district
        return {"code": d.code, "name_zh": d.name_zh, "name_en": d.name_en}

    def get_co_built(self, obj) -> bool:
        return len(obj.automakers.all()) > 1

    def get_contact_phone(self, obj) -> str | None:
        return obj.contact_phone if obj.phone_public and obj.contact_phone else None

    def get_url(self, obj) -> str:
        return reverse("recycling_network:public-detail", args=[obj.code])

    def get_distance_km(self, obj) -> float | None:
        distances = self.context.get("distances") or {}
        d = distances.get(obj.pk)
        return round(d / 1000, 2) if d is not None else None


class ServicePointSerializer(serializers.ModelSerializer):
    """An enterprise's or regulator's view of a point, contact details included."""

    operator = OrgBriefSerializer(read_only=True)
    automakers = OrgBriefSerializer(many=True, read_only=True)
    registered_by = OrgBriefSerializer(read_only=True)

    class Meta:
        model = ServicePoint
        exclude = ["updated_at"]


class ServicePointInputSerializer(serializers.Serializer):
    name_zh = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=PointKind.choices, default=PointKind.FIXED)
    district = serializers.CharField(max_length=6, help_text="GB/T 2260 code, e.g. 110105")
    address = serializers.CharField(max_length=300)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    coordinate_system = serializers.ChoiceField(choices=["wgs84", "gcj02"], default="wgs84")
    automakers = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="USCCs of the automakers a co-built point serves",
    )
    operator = serializers.CharField(required=False, help_text="USCC of the operating enterprise")
    contact_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    phone_public = serializers.BooleanField(required=False)
    opening_hours = serializers.CharField(max_length=200, required=False, allow_blank=True)
    capacity_packs = serializers.IntegerField(required=False, **column_bounds(ServicePoint, "capacity_packs"))
    capacity_kg = serializers.IntegerField(required=False, **column_bounds(ServicePoint, "capacity_kg"))
    storage_area_m2 = serializers.DecimalField(max_digits=9, decimal_places=1, required=False)
    has_isolation_area = serializers.BooleanField(required=False)
    has_fire_suppression = serializers.BooleanField(required=False)
    fire_rating = serializers.CharField(max_length=40, required=False, allow_blank=True)
    can_test = serializers.BooleanField(required=False)
    can_sort = serializers.BooleanField(required=False)
    can_pre_dismantle = serializers.BooleanField(required=False)

    def validate_automakers(self, value):
        return _orgs_by_uscc(value, "automakers")

    def validate_operator(self, value):
        return _orgs_by_uscc([value], "operator")[0]


def _orgs_by_uscc(codes: list[str], field: str) -> list[Organisation]:
    codes = [c.strip().upper() for c in codes]
    orgs = {o.uscc: o for o in Organisation.objects.filter(uscc__in=codes)}
    unknown = [c for c in codes if c not in orgs]
    if unknown:
        raise serializers.ValidationError(f"unknown USCC: {', '.join(unknown)}")
    return [orgs[c] for c in codes]


class PointChangeRequestSerializer(serializers.ModelSerializer):
    point = serializers.SlugRelatedField(slug_field="code", read_only=True)
    requested_by = OrgBriefSerializer(read_only=True)

    class Meta:
        model = PointChangeRequest
        fields = [
            "id",
            "point",
            "kind",
            "changes",
            "note",
            "requested_by",
            "status",
            "decision_note",
            "decided_at",
            "created_at",
        ]


class PointChangeRequestInputSerializer(serializers.Serializer):
    """``changes`` takes the fields of a point as in registration (``automakers`` as USCCs)."""

    kind = serializers.ChoiceField(choices=ChangeRequestKind.choices, default=ChangeRequestKind.CHANGE)
    changes = serializers.DictField(required=False, default=dict)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate_changes(self, value):
        unknown = set(value) - set(ServicePointInputSerializer().fields) | ({"operator"} & set(value))
        if unknown:
            raise serializers.ValidationError(f"not a requestable field: {', '.join(sorted(unknown))}")
        fields = ServicePointInputSerializer(data=value, partial=True)
        if not fields.is_valid():
            raise serializers.ValidationError(fields.errors)
        return {k: v for k, v in fields.validated_data.items() if k in value}


class ChangeDecisionInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReviewInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ReviewAction.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class IntakeInputSerializer(serializers.Serializer):
    point = serializers.IntegerField(help_text="service point id")
    code = serializers.CharField(max_length=40)
    source_kind = serializers.ChoiceField(choices=SourceKind.choices)
    condition = serializers.ChoiceField(choices=Condition.choices, default=Condition.INTACT)
    received_at = serializers.DateTimeField(required=False)
    source_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    source_org = serializers.CharField(required=False, help_text="USCC of the enterprise that handed it in")
    mass_kg = serializers.DecimalField(max_digits=9, decimal_places=2, required=False, min_value=0)
    photo = serializers.FileField(required=False)

    def validate_source_org(self, value):
        return _orgs_by_uscc([value], "source_org")[0]


class IntakeSerializer(serializers.ModelSerializer):
    point_code = serializers.CharField(source="point.code", read_only=True)
    battery_state = serializers.CharField(source="battery.state", read_only=True)
    custodian = serializers.CharField(source="battery.custodian.uscc", read_only=True, default=None)
    photo = serializers.SerializerMethodField()

    class Meta:
        model = Intake
        fields = [
            "id",
            "point",
            "point_code",
            "code",
            "source_kind",
            "source_name",
            "condition",
            "mass_kg",
            "unregistered",
            "received_at",
            "battery_state",
            "custodian",
            "event",
            "photo",
        ]

    def get_photo(self, obj) -> str | None:
        return obj.photo.url if obj.photo else None


class IntakeUploadSerializer(serializers.Serializer):
    point = serializers.IntegerField()
    file = serializers.FileField(
        help_text="CSV (UTF-8) or XLSX with columns code, source_kind, condition, ..."
    )


class StockEntrySerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="battery.code")
    point_code = serializers.CharField(source="point.code")

    class Meta:
        model = StockEntry
        fields = ["id", "code", "point", "point_code", "since", "condition", "mass_kg", "bay"]


class TransferItemSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="battery.code")

    class Meta:
        model = TransferItem
        fields = ["code", "condition", "mass_kg", "status", "received_at", "missing_since"]


class TransferSerializer(serializers.ModelSerializer):
    """A transfer and its manifest."""

    items = TransferItemSerializer(many=True, read_only=True)
    sender = OrgBriefSerializer(read_only=True)
    receiver = OrgBriefSerializer(read_only=True)
    from_point_code = serializers.CharField(source="from_point.code", read_only=True)
    to_point_code = serializers.CharField(source="to_point.code", read_only=True, default=None)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "number",
            "status",
            "from_point",
            "from_point_code",
            "to_point",
            "to_point_code",
            "sender",
            "receiver",
            "carrier_name",
            "vehicle_plate",
            "dangerous_goods",
            "total_mass_kg",
            "departed_at",
            "expected_arrival_at",
            "arrived_at",
            "note",
            "items",
        ]


class TransferInputSerializer(serializers.Serializer):
    from_point = serializers.IntegerField()
    to_point = serializers.IntegerField(required=False, help_text="destination point or hub")
    receiver = serializers.CharField(
        required=False, help_text="USCC of a cascade-use or regeneration enterprise"
    )
    codes = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=False)
    carrier_name = serializers.CharField(max_length=200)
    carrier = serializers.CharField(required=False, help_text="USCC of the carrier")
    vehicle_plate = serializers.CharField(max_length=16)
    departed_at = serializers.DateTimeField(required=False)
    expected_arrival_at = serializers.DateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_receiver(self, value):
        return _orgs_by_uscc([value], "receiver")[0]

    def validate_carrier(self, value):
        return _orgs_by_uscc([value], "carrier")[0]


class TransferReceiveInputSerializer(serializers.Serializer):
    codes = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=True)
    received_at = serializers.DateTimeField(required=False)
    close = serializers.BooleanField(
        default=False, help_text="end the manifest; unconfirmed packs are missing"
    )


class PackRemovalInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=25)
    removed_at = serializers.DateTimeField(required=False)


class RecycledCertificateInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    battery_code = serializers.CharField(max_length=25)
    recycled_by = serializers.CharField(help_text="USCC of the enterprise the pack went to")
    issued_at = serializers.DateField()

    def validate_recycled_by(self, value):
        return _orgs_by_uscc([value], "recycled_by")[0]


class ScrapCertificateInputSerializer(serializers.Serializer):
    vin = serializers.CharField(max_length=17)
    number = serializers.CharField(max_length=40)
    issued_at = serializers.DateTimeField()
    pack_present = serializers.BooleanField(default=True)
    pack_code = serializers.CharField(
        max_length=25, required=False, default="", help_text="the vehicle's pack (required from 2026-04-01)"
    )
    removed_at = serializers.DateTimeField(required=False, help_text="when the named pack was taken out")
    recycled_certificate = RecycledCertificateInputSerializer(
        required=False, help_text="电池回收证明 for a vehicle scrapped without its pack"
    )

    def validate_recycled_certificate(self, value):
        return RecycledCertificateInput(**value)


class NetworkAlertSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="battery.code", default=None)

    class Meta:
        model = NetworkAlert
        fields = ["id", "kind", "region", "code", "point", "message", "raised_at", "resolved_at"]
