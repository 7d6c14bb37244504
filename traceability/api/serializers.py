"""Output serializers; inputs of the bulk endpoints are validated item by item in the services (R-BIND)."""

from rest_framework import serializers

from traceability.models import Battery


class BatterySerializer(serializers.ModelSerializer):
    maker = serializers.CharField(source="maker.display_name", default=None)
    custodian = serializers.CharField(source="custodian.display_name", default=None)
    # The metaclass takes declared fields off the class, so this does not shadow ``Field.parent``.
    parent = serializers.CharField(source="parent.code", default=None)  # type: ignore[assignment]

    class Meta:
        model = Battery
        fields = [
            "code", "level", "chemistry", "spec_code", "manufacturer_code", "rated_capacity_ah", "rated_energy_kwh",
            "mass_kg", "production_date", "state", "region", "registered", "unregistered_maker", "is_cascade_product",
            "maker", "custodian", "parent",
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


# Documentation of the bulk envelopes and of the read endpoints' answers: the services validate each item
# themselves and name the field at fault, so these serializers only describe the shapes in the OpenAPI document.
class ProducedBatteryItem(serializers.Serializer):
    code = serializers.CharField(help_text="24-character GB/T 34014 code")
    rated_capacity_ah = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    rated_energy_kwh = serializers.DecimalField(max_digits=10, decimal_places=3, required=False)
    mass_kg = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    produced_at = serializers.DateTimeField(required=False)
    customer_uscc = serializers.CharField(required=False, help_text="the automaker the pack is sold to")
    children = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="modules of a pack, cells of a module: same shape",
    )


class BindingItem(serializers.Serializer):
    vin = serializers.CharField()
    pack_code = serializers.CharField()
    sold_at = serializers.DateTimeField()
    model_name = serializers.CharField(required=False)
    use = serializers.CharField(required=False)
    region = serializers.CharField(required=False, help_text="of registration; default the automaker's")


class ReplacementItem(serializers.Serializer):
    vin = serializers.CharField()
    old_pack_code = serializers.CharField()
    new_pack_code = serializers.CharField()
    replaced_at = serializers.DateTimeField()
    place = serializers.CharField(required=False)


class EventItem(serializers.Serializer):
    battery_code = serializers.CharField()
    kind = serializers.CharField(help_text="a lifecycle event kind without an endpoint of its own")
    occurred_at = serializers.DateTimeField()
    to_uscc = serializers.CharField(required=False, help_text="the organisation taking custody")
    place = serializers.CharField(required=False)
    place_ref = serializers.CharField(required=False)
    payload = serializers.DictField(required=False)


class BatteryUpload(serializers.Serializer):
    items = ProducedBatteryItem(many=True, help_text="up to BULK_MAX_ITEMS items")


class BindingUpload(serializers.Serializer):
    items = BindingItem(many=True, help_text="up to BULK_MAX_ITEMS items")


class ReplacementUpload(serializers.Serializer):
    items = ReplacementItem(many=True, help_text="up to BULK_MAX_ITEMS items")


class EventUpload(serializers.Serializer):
    items = EventItem(many=True, help_text="up to BULK_MAX_ITEMS items")


class TraceSerializer(serializers.Serializer):
    battery = serializers.DictField()
    events = serializers.ListField(
        child=serializers.DictField(),
        help_text="with their ledger index; a wrong event has declared_erroneous and error_declaration, a "
        "correction corrects, its corrective events corrective_of (EPCIS 2.0 errorDeclaration)",
    )
    ancestors = serializers.ListField(
        child=serializers.DictField(),
        help_text="the module and pack this battery was part of, nearest first, with their events up to its "
        "separation (by reference)",
    )
    children = serializers.ListField(child=serializers.DictField(), help_text="modules and cells with theirs")
    vehicles = serializers.ListField(child=serializers.DictField())
    sources = serializers.ListField(
        child=serializers.DictField(), help_text="batteries this one was made from"
    )
    products = serializers.ListField(child=serializers.DictField(), help_text="batteries made from this one")


class VehicleSerializer(serializers.Serializer):
    vin = serializers.CharField()
    automaker = serializers.CharField()
    automaker_uscc = serializers.CharField()
    model_name = serializers.CharField()
    use = serializers.CharField()
    region = serializers.CharField()
    sold_at = serializers.DateTimeField(allow_null=True)
    scrapped_at = serializers.DateTimeField(allow_null=True)
    current_packs = serializers.ListField(child=serializers.DictField())
    past_packs = serializers.ListField(child=serializers.DictField())


class TreeHeadSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField(allow_null=True, help_text="hex")
    timestamp = serializers.IntegerField(required=False, help_text="milliseconds since the epoch")
    algorithm = serializers.CharField(required=False)
    key_id = serializers.CharField(required=False)
    signature = serializers.CharField(required=False, help_text="hex")
    signed_message = serializers.CharField(required=False)
    public_key = serializers.CharField(required=False, help_text="hex Ed25519 public key of the signer")


class ConsistencyProofSerializer(serializers.Serializer):
    """RFC 9162 §2.1.4: the tree of ``second`` leaves extends the tree of ``first`` leaves."""

    first = serializers.IntegerField()
    second = serializers.IntegerField()
    first_tree_head = TreeHeadSerializer()
    second_tree_head = TreeHeadSerializer()
    consistency_path = serializers.ListField(child=serializers.CharField(), help_text="hex hashes")


class InclusionProofSerializer(serializers.Serializer):
    event_id = serializers.IntegerField()
    leaf_index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    leaf_hash = serializers.CharField(help_text="hex")
    audit_path = serializers.ListField(child=serializers.CharField(), help_text="hex hashes, RFC 9162 §2.1.3")
    leaf_data = serializers.CharField()
    tree_head = TreeHeadSerializer()


# --- two-party custody (R-LIFE): the bodies of /api/v1/custody/ ----------------------------------------------


class ReleaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    battery_code = serializers.CharField()
    kind = serializers.CharField(help_text="handed_over or dispatched")
    status = serializers.CharField(help_text="open, confirmed or cancelled")
    releaser = serializers.CharField(help_text="USCC of the holder that released")
    receiver = serializers.CharField(help_text="USCC of the named receiver")
    manifest = serializers.CharField(allow_blank=True)
    release_event = serializers.IntegerField(allow_null=True)
    closing_event = serializers.IntegerField(allow_null=True)


class ReleaseListSerializer(serializers.Serializer):
    results = ReleaseSerializer(many=True)


class ReleaseClosedSerializer(ReleaseSerializer):
    event_id = serializers.IntegerField(help_text="the receipt or cancellation event")


class ReleaseInputSerializer(serializers.Serializer):
    battery_code = serializers.CharField(max_length=64)
    to_uscc = serializers.CharField(max_length=18, help_text="the receiver's unified social credit code")
    kind = serializers.CharField(
        required=False, allow_blank=True, help_text="handed_over (default) or dispatched"
    )
    manifest = serializers.CharField(required=False, allow_blank=True, max_length=64)
    occurred_at = serializers.DateTimeField(required=False, help_text="defaults to now")


class ReceiptInputSerializer(serializers.Serializer):
    kind = serializers.CharField(
        required=False, allow_blank=True, help_text="received, cascade_received or regeneration_received; by default the one "
        "that fits the receiver"
    )  # fmt: skip
    occurred_at = serializers.DateTimeField(required=False)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CancelInputSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True)


class ClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    battery_code = serializers.CharField()
    claimant = serializers.CharField(help_text="USCC")
    status = serializers.CharField(help_text="pending, approved or rejected")
    reason = serializers.CharField(allow_blank=True)
    region = serializers.CharField()
    found_at = serializers.DateTimeField()
    receipt_kind = serializers.CharField()
    event = serializers.IntegerField(allow_null=True, help_text="the receipt recorded on approval")
    review_note = serializers.CharField(allow_blank=True)


class ClaimListSerializer(serializers.Serializer):
    results = ClaimSerializer(many=True)


class ClaimInputSerializer(serializers.Serializer):
    battery_code = serializers.CharField(max_length=64)
    reason = serializers.CharField()
    found_at = serializers.DateTimeField(required=False)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ClaimReviewInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    note = serializers.CharField(required=False, allow_blank=True)


# --- corrections (R-LIFE; EPCIS 2.0 errorDeclaration): the bodies of /api/v1/corrections/ ---------------------


class CorrectiveEventItem(serializers.Serializer):
    kind = serializers.CharField(max_length=32, help_text="a lifecycle event kind the engine records")
    occurred_at = serializers.CharField(max_length=40, help_text="a date or an ISO time, not in the future")
    battery_code = serializers.CharField(
        required=False, max_length=64, help_text="default: the wrong event's"
    )
    to_uscc = serializers.CharField(
        required=False, allow_blank=True, max_length=18, help_text="a release's receiver"
    )
    manifest = serializers.CharField(required=False, allow_blank=True, max_length=64)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    place_ref = serializers.CharField(required=False, allow_blank=True, max_length=64)
    payload = serializers.DictField(required=False)


class ErrorDeclarationInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=["incorrect_data", "did_not_occur", "wrong_battery", "wrong_party"]
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    corrective = CorrectiveEventItem(many=True, required=False, help_text="what really happened, in order")


class ErrorDeclarationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.IntegerField(help_text="the wrong event")
    battery_code = serializers.CharField()
    declarant = serializers.CharField(help_text="USCC")
    reason = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    status = serializers.CharField(help_text="effective, pending, approved or rejected")
    moves_custody = serializers.BooleanField()
    region = serializers.CharField()
    declared_at = serializers.DateTimeField()
    correction_event = serializers.IntegerField(
        allow_null=True, help_text="the corrected event, once in force"
    )
    corrective_events = serializers.ListField(child=serializers.IntegerField())
    review_note = serializers.CharField(allow_blank=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)


class ErrorDeclarationListSerializer(serializers.Serializer):
    results = ErrorDeclarationSerializer(many=True)


class ErrorReviewInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class DisassemblyInputSerializer(serializers.Serializer):
    children = serializers.ListField(
        child=serializers.CharField(max_length=25),
        required=False,
        max_length=2000,
        help_text="codes of the modules or cells it comes apart into; registered children are separated anyway, "
        "unknown codes are registered now (GB/T 34014, one level below)",
    )
    occurred_at = serializers.DateTimeField(required=False, help_text="defaults to now")
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)


class DisassemblySerializer(serializers.Serializer):
    code = serializers.CharField()
    state = serializers.CharField()
    event_id = serializers.IntegerField()
    children = serializers.ListField(child=serializers.DictField(), help_text="code, level, state, event_id")
    registered = serializers.ListField(child=serializers.CharField(), help_text="codes registered now")
