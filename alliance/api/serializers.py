from decimal import Decimal

from rest_framework import serializers

from accounts.choices import JJJ_REGIONS
from accounts.models import Organisation
from traceability.choices import Chemistry

from ..models import (
    Bid,
    Deal,
    Lot,
    LotEvent,
    LotItem,
    Membership,
    MembershipTier,
    MetalPrice,
    PriceForm,
    PriceGuidance,
    ReferencePrice,
    SharedServicePoint,
)
from ..selectors import automakers_served


class OrgField(serializers.SlugRelatedField):
    """An organisation named by its USCC."""

    def __init__(self, **kw):
        super().__init__(slug_field="uscc", queryset=Organisation.objects.filter(is_active=True), **kw)


class AllianceOrgSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")

    class Meta:
        model = Organisation
        fields = ["uscc", "name", "region", "kinds"]


class TierSerializer(serializers.ModelSerializer):
    class Meta:
        model = MembershipTier
        fields = ["code", "version", "name_zh", "name_en", "annual_fee_cny", "votes", "terms", "valid_from"]


class DirectoryEntrySerializer(serializers.ModelSerializer):
    """Public part of a member's directory entry; members see the contact and capability fields too."""

    organisation = AllianceOrgSerializer()
    tier = serializers.CharField(source="tier.code")

    class Meta:
        model = Membership
        fields = ["organisation", "tier", "member_since", "public_profile"]

    MEMBERS_ONLY = ("contact_name", "contact_phone", "contact_email", "capabilities", "fee_paid_until")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("members_only"):
            for name in self.MEMBERS_ONLY:
                value = getattr(instance, name)
                data[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return data


class MembershipSerializer(serializers.ModelSerializer):
    organisation = AllianceOrgSerializer()
    tier = serializers.CharField(source="tier.code")

    class Meta:
        model = Membership
        fields = [
            "id",
            "organisation",
            "tier",
            "status",
            "statement",
            "public_profile",
            "listed_publicly",
            "contact_name",
            "contact_phone",
            "contact_email",
            "capabilities",
            "applied_at",
            "decided_at",
            "decision_note",
            "member_since",
        ]


class ApplyInput(serializers.Serializer):
    tier = serializers.SlugRelatedField(
        slug_field="code", queryset=MembershipTier.objects.filter(is_active=True)
    )
    statement = serializers.CharField(required=False, allow_blank=True, default="")
    public_profile = serializers.CharField(required=False, allow_blank=True, default="")
    listed_publicly = serializers.BooleanField(required=False, default=True)
    contact_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    contact_phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    capabilities = serializers.CharField(required=False, allow_blank=True, default="")


class LotCancelInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class DecideInput(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ShareSerializer(serializers.Serializer):
    member = OrgField()
    cost_share = serializers.DecimalField(
        max_digits=5, decimal_places=4, min_value=Decimal(0), max_value=Decimal(1)
    )
    mass_share = serializers.DecimalField(
        max_digits=5, decimal_places=4, min_value=Decimal(0), max_value=Decimal(1)
    )


class SharedPointSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="service_point.code")
    name = serializers.CharField(source="service_point.display_name")
    region = serializers.CharField(source="service_point.region")
    operator = AllianceOrgSerializer(source="service_point.operator")
    shares = serializers.SerializerMethodField()
    automakers_served = serializers.SerializerMethodField()

    class Meta:
        model = SharedServicePoint
        fields = [
            "id",
            "code",
            "name",
            "region",
            "operator",
            "monthly_cost_cny",
            "opened_on",
            "closed_on",
            "shares",
            "automakers_served",
        ]

    def get_shares(self, obj) -> list[dict]:
        return [
            {
                "member": s.member.uscc,
                "name": s.member.display_name,
                "cost_share": str(s.cost_share),
                "mass_share": str(s.mass_share),
            }
            for s in obj.shares.all()
        ]

    def get_automakers_served(self, obj) -> list[str]:
        ids = automakers_served(obj)
        return sorted(o.uscc for o in Organisation.objects.filter(pk__in=ids))


class SharedPointInput(serializers.Serializer):
    service_point = serializers.IntegerField(help_text="id of a recycling-network service point")
    monthly_cost_cny = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal(0))
    opened_on = serializers.DateField()
    shares = ShareSerializer(many=True)


class ReferencePriceSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(read_only=True)

    class Meta:
        model = ReferencePrice
        fields = ["chemistry", "grade", "form", "price", "low", "high", "unit"]
        extra_kwargs = {"grade": {"required": False, "allow_blank": True}}


class MetalPriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = MetalPrice
        fields = ["metal", "price_cny_per_t"]


class GuidanceSerializer(serializers.ModelSerializer):
    assessor = AllianceOrgSerializer()
    prices = ReferencePriceSerializer(many=True)
    metal_prices = MetalPriceSerializer(many=True)

    class Meta:
        model = PriceGuidance
        fields = [
            "id",
            "assessor",
            "title",
            "effective_from",
            "status",
            "notes",
            "published_at",
            "prices",
            "metal_prices",
        ]


class GuidanceInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    effective_from = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    prices = ReferencePriceSerializer(many=True)
    metals = MetalPriceSerializer(many=True, required=False, default=list)


class InForceQuery(serializers.Serializer):
    on = serializers.DateField()
    chemistry = serializers.ChoiceField(choices=Chemistry.choices)
    grade = serializers.CharField(required=False, allow_blank=True, default="")
    form = serializers.ChoiceField(choices=PriceForm.choices, default=PriceForm.PACK)
    energy_kwh = serializers.DecimalField(max_digits=10, decimal_places=3, required=False)


class LotItemSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="battery.code")
    maker = serializers.CharField(source="battery.maker.display_name", default="")

    class Meta:
        model = LotItem
        fields = [
            "code",
            "maker",
            "chemistry",
            "grade",
            "soh",
            "energy_kwh",
            "mass_kg",
            "assessed_on",
            "assessment_ref",
            "guide_value_cny",
        ]


class LotSerializer(serializers.ModelSerializer):
    seller = AllianceOrgSerializer()
    items = LotItemSerializer(many=True)
    bids_revealed = serializers.SerializerMethodField()
    reserve_price_cny = serializers.SerializerMethodField()

    class Meta:
        model = Lot
        fields = [
            "id",
            "number",
            "title",
            "seller",
            "form",
            "location",
            "region",
            "reserve_price_cny",
            "deadline",
            "sealed",
            "channel",
            "status",
            "description",
            "total_energy_kwh",
            "total_mass_kg",
            "created_at",
            "bids_revealed",
            "items",
        ]

    def get_bids_revealed(self, obj) -> bool:
        return obj.bids_revealed()

    def get_reserve_price_cny(self, obj) -> str | None:
        """The reserve is the seller's secret: others learn only whether a bid reached it."""
        org_id = (
            getattr(self.context.get("request").user, "organisation_id", None)
            if self.context.get("request")
            else None
        )
        return str(obj.reserve_price_cny) if org_id == obj.seller_id else None


class LotItemInput(serializers.Serializer):
    code = serializers.CharField(max_length=25)
    soh = serializers.DecimalField(
        max_digits=5, decimal_places=4, min_value=Decimal(0), max_value=Decimal("1.2"), required=False
    )
    grade = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")
    assessed_on = serializers.DateField(required=False)
    assessment_ref = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class LotInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    form = serializers.ChoiceField(choices=[PriceForm.PACK, PriceForm.MODULE], default=PriceForm.PACK)
    location = serializers.CharField(max_length=300)
    region = serializers.ChoiceField(choices=list(JJJ_REGIONS))
    reserve_price_cny = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0))
    deadline = serializers.DateTimeField()
    sealed = serializers.BooleanField(default=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    items = LotItemInput(many=True)


class BidSerializer(serializers.ModelSerializer):
    bidder = AllianceOrgSerializer()

    class Meta:
        model = Bid
        fields = ["id", "bidder", "amount_cny", "status", "note", "placed_at"]


class BidInput(serializers.Serializer):
    amount_cny = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AcceptInput(serializers.Serializer):
    bid = serializers.IntegerField()


class LotEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.display_name", default="")

    class Meta:
        model = LotEvent
        fields = ["kind", "actor", "at", "detail"]


class DealSerializer(serializers.ModelSerializer):
    lot = serializers.CharField(source="lot.number")
    seller = AllianceOrgSerializer()
    buyer = AllianceOrgSerializer()
    batteries = serializers.SerializerMethodField()

    class Meta:
        model = Deal
        fields = [
            "id",
            "lot",
            "seller",
            "buyer",
            "channel",
            "price_cny",
            "price_per_kwh",
            "reference_per_kwh",
            "deviation",
            "is_outlier",
            "concluded_at",
            "contract_ref",
            "batteries",
        ]

    def get_batteries(self, obj) -> list[str]:
        return [i.battery.code for i in obj.lot.items.all()]


class OfflineDealInput(serializers.Serializer):
    buyer = OrgField()
    price_cny = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    concluded_at = serializers.DateTimeField()
    form = serializers.ChoiceField(choices=[PriceForm.PACK, PriceForm.MODULE], default=PriceForm.PACK)
    location = serializers.CharField(max_length=300)
    region = serializers.ChoiceField(choices=list(JJJ_REGIONS))
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    contract_ref = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    items = LotItemInput(many=True)
