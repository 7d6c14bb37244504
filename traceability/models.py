"""Batteries (pack, module, cell), vehicles, bindings and the append-only lifecycle event table.

R-CODE (codes and hierarchy), R-BIND (vehicle-battery bindings), R-LIFE (lifecycle events).
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Region
from core.tenancy import TenancyRule

from .choices import BatteryState, Chemistry, EventKindChoices, Level, VehicleUse


def _bound_to_automaker(org_id: int) -> Q:
    active = Binding.objects.filter(
        pack=OuterRef("pk"), unbound_at__isnull=True, vehicle__automaker_id=org_id
    )
    return Q(Exists(active))


def _released_to(org_id: int) -> Q:
    """The receiver named by an open release sees the battery it is to confirm."""
    return Q(Exists(CustodyRelease.objects.filter(battery=OuterRef("pk"), status="open", receiver_id=org_id)))


class Battery(models.Model):
    """A pack, module or cell, identified by its GB/T 34014 code (R-CODE)."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    level = models.CharField(_("level"), max_length=1, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    manufacturer_code = models.CharField(_("manufacturer code"), max_length=3, blank=True)
    chemistry = models.CharField(_("chemistry"), max_length=1, choices=Chemistry.choices, blank=True)
    spec_code = models.CharField(_("specification code"), max_length=2, blank=True)
    rated_capacity_ah = models.DecimalField(
        _("rated capacity (Ah)"), max_digits=9, decimal_places=2, null=True
    )
    rated_energy_kwh = models.DecimalField(_("rated energy (kWh)"), max_digits=9, decimal_places=3, null=True)
    mass_kg = models.DecimalField(_("mass (kg)"), max_digits=9, decimal_places=2, null=True)
    maker = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="made_batteries",
        verbose_name=_("battery maker"),
    )
    production_date = models.DateField(_("production date"), null=True, blank=True)
    custodian = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="batteries_in_custody",
        verbose_name=_("custodian"),
        db_index=False,  # (custodian, state) serves it
    )
    state = models.CharField(_("state"), max_length=20, choices=BatteryState.choices)
    region = models.CharField(_("current region"), max_length=3, choices=Region.choices, blank=True)
    registered = models.BooleanField(
        _("registered by its maker"), default=True, help_text=_("False for codes first seen at intake.")
    )
    is_cascade_product = models.BooleanField(_("cascade-use code"), default=False)
    vehicle_use_ended = models.BooleanField(
        _("vehicle use ended"), default=False, help_text=_("Set once in a second life or at regeneration.")
    )
    unregistered_maker = models.BooleanField(
        _("unregistered manufacturer code"),
        default=False,
        help_text=_("The code's manufacturer prefix is not in the code registry; accepted under the policy."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    state_changed_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(owners=("custodian", "maker", _bound_to_automaker, _released_to), region="region")

    class Meta:
        verbose_name = _("battery")
        verbose_name_plural = _("batteries")
        # Every bulk binding rewrites each pack row (state, custodian and region change, so no HOT update) and
        # with it every index: no duplicates (the maker's foreign key has its own index), no pattern index on state.
        indexes = [
            models.Index(fields=["custodian", "state"]),
            models.Index(fields=["region", "state"]),
            models.Index(fields=["state"], name="battery_state"),
            # Codes of makers outside the code registry (R-COMPLY): few, counted in compliance.
            models.Index(
                fields=["id"], condition=Q(unregistered_maker=True), name="battery_unregistered_maker"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class BatteryLink(models.Model):
    """A cascade-use product's new code linked to each original it was built from (domain.md §1)."""

    source = models.ForeignKey(Battery, on_delete=models.PROTECT, related_name="product_links")
    product = models.ForeignKey(Battery, on_delete=models.PROTECT, related_name="source_links")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "product"], name="battery_link_once")]


class Vehicle(models.Model):
    vin = models.CharField(_("VIN"), max_length=17, unique=True)
    automaker = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="vehicles",
        verbose_name=_("automaker"),
        db_index=False,  # (automaker, region) serves it
    )
    model_name = models.CharField(_("model"), max_length=100, blank=True)
    use = models.CharField(_("use"), max_length=16, choices=VehicleUse.choices, default=VehicleUse.PRIVATE)
    region = models.CharField(_("region of registration"), max_length=3, choices=Region.choices, blank=True)
    sold_at = models.DateField(_("sold on"), null=True, blank=True)
    fleet_owner = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fleet_vehicles",
        verbose_name=_("fleet owner"),
    )
    scrapped_at = models.DateField(_("scrapped on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(owners=("automaker", "fleet_owner"), region="region")

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        indexes = [models.Index(fields=["automaker", "region"])]

    def __str__(self) -> str:
        return self.vin


class Binding(models.Model):
    """Which pack is in which vehicle, from when to when (R-BIND)."""

    # (vehicle, unbound_at) serves the vehicle's foreign key.
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="bindings", db_index=False)
    pack = models.ForeignKey(Battery, on_delete=models.PROTECT, related_name="bindings")
    bound_at = models.DateTimeField(_("bound at"))
    unbound_at = models.DateTimeField(_("unbound at"), null=True, blank=True)
    unbound_reason = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(owners=("vehicle__automaker", "pack__custodian"), region="vehicle__region")

    class Meta:
        verbose_name = _("binding")
        verbose_name_plural = _("bindings")
        constraints = [
            # One pack in at most one vehicle at a time, enforced by PostgreSQL.
            models.UniqueConstraint(
                fields=["pack"], condition=Q(unbound_at__isnull=True), name="one_active_binding_per_pack"
            ),
            models.CheckConstraint(
                condition=Q(unbound_at__isnull=True) | Q(unbound_at__gte=models.F("bound_at")),
                name="binding_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["vehicle", "unbound_at"])]


class LifecycleEvent(models.Model):
    """Everything that happens to a battery, append-only (R-LIFE). Rows are never updated or deleted."""

    # (battery, id) and (actor, occurred_at) serve these foreign keys: an index less per row written.
    battery = models.ForeignKey(Battery, on_delete=models.PROTECT, related_name="events", db_index=False)
    kind = models.CharField(_("event"), max_length=32, choices=EventKindChoices.choices)
    state_before = models.CharField(max_length=20, blank=True)
    state_after = models.CharField(max_length=20)
    actor = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("actor"),
        db_index=False,
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    custodian_before = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    custodian_after = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    place_ref = models.CharField(
        _("place reference"), max_length=64, blank=True, help_text=_("e.g. sp:<service point id>")
    )
    region = models.CharField(_("region"), max_length=3, choices=Region.choices, blank=True)
    occurred_at = models.DateTimeField(_("happened at"))
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    deadline = models.DateField(_("reporting deadline"), null=True, blank=True)
    on_time = models.BooleanField(_("reported on time"), null=True)
    payload = models.JSONField(default=dict, blank=True)

    tenancy = TenancyRule(owners=("actor", "custodian_before", "custodian_after"), region="region")

    class Meta:
        verbose_name = _("lifecycle event")
        verbose_name_plural = _("lifecycle events")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["battery", "id"]),
            models.Index(fields=["kind", "occurred_at"]),
            models.Index(fields=["actor", "occurred_at"]),
            models.Index(fields=["region", "occurred_at"]),
            # Late uploads per enterprise (R-COMPLY): a small partial index, since most reports are on time.
            models.Index(fields=["actor", "-id"], condition=Q(on_time=False), name="event_late_by_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.battery_id} @ {self.occurred_at:%Y-%m-%d}"


class DeadlineRule(models.Model):
    """Upload deadlines in working days (domain.md §3), data not code: a regulator corrects them here."""

    event_kind = models.CharField(max_length=32, choices=EventKindChoices.choices)
    actor_kind = models.CharField(max_length=32, blank=True, help_text=_("enterprise kind; blank = any"))
    working_days = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=200, blank=True)
    confidence = models.CharField(max_length=4, default="S", help_text=_("S, S2 or U as in domain.md"))
    valid_from = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("reporting deadline rule")
        constraints = [
            models.UniqueConstraint(
                fields=["event_kind", "actor_kind", "valid_from"], name="deadline_rule_once"
            )
        ]


class CalendarDay(models.Model):
    """Chinese public-holiday calendar: holidays and make-up working days (调休) that override weekdays."""

    date = models.DateField(primary_key=True)
    is_working_day = models.BooleanField()
    name = models.CharField(max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        ordering = ["date"]


class CalendarYear(models.Model):
    """A year whose holiday arrangement (国务院办公厅 节假日安排通知) is loaded into :class:`CalendarDay`.

    Past the last loaded year the calendar is unknown: a deadline there is counted Monday to Friday and marked
    provisional. ``loaded_at`` tells which deadlines were counted before the year was loaded (blank: the year was
    loaded with the platform's first calendar)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    source = models.CharField(max_length=200, blank=True)
    loaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("holiday calendar year")
        ordering = ["year"]


class Replacement(models.Model):
    """A maintenance pack swap, "one in, one out" (R-BIND; 溯源管理暂行规定 第十条)."""

    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="replacements")
    pack_out = models.ForeignKey(Battery, on_delete=models.PROTECT, related_name="replaced_out_in")
    pack_in = models.ForeignKey(Battery, on_delete=models.PROTECT, related_name="replaced_in_in")
    actor = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(_("replaced at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(owners=("actor", "vehicle__automaker"), region="vehicle__region")

    class Meta:
        verbose_name = _("replacement")
        verbose_name_plural = _("replacements")
        constraints = [
            models.UniqueConstraint(fields=["vehicle", "pack_out", "pack_in"], name="replacement_once")
        ]


class LedgerLeaf(models.Model):
    """Leaf ``index`` of the Merkle log (RFC 9162 §2.1): the hash of one lifecycle event's canonical bytes.

    ``event_id`` is deliberately not a foreign key: a row deleted behind the platform's back must leave its leaf
    behind so that ``verify_ledger`` can name it.
    """

    index = models.BigIntegerField(primary_key=True)
    event_id = models.BigIntegerField(unique=True)
    leaf_hash = models.BinaryField()

    class Meta:
        verbose_name = _("ledger leaf")


class LedgerNode(models.Model):
    """A complete (perfect) subtree of the log: level ``level`` >= 1, covering leaves
    ``[index * 2**level, (index + 1) * 2**level)``. Roots and proofs read O(log n) of these."""

    pk = models.CompositePrimaryKey("level", "index")
    level = models.SmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField()

    class Meta:
        verbose_name = _("ledger node")


class SignedTreeHead(models.Model):
    """The platform's signed statement of the log's size and root after each append (RFC 9162 §4.10)."""

    tree_size = models.BigIntegerField(primary_key=True)
    root_hash = models.BinaryField()
    timestamp = models.DateTimeField(default=timezone.now)
    algorithm = models.CharField(max_length=16)
    key_id = models.CharField(max_length=64)
    signature = models.BinaryField()

    class Meta:
        verbose_name = _("signed tree head")
        ordering = ["-tree_size"]


class ReleaseStatus(models.TextChoices):
    OPEN = "open", _("Awaiting the receiver")
    CONFIRMED = "confirmed", _("Confirmed by the receiver")
    CANCELLED = "cancelled", _("Withdrawn by the holder")
    SUPERSEDED = "superseded", _("Superseded by an approved claim")


class CustodyRelease(models.Model):
    """The holder's release of a battery to a named receiver (a dispatch under a manifest, or a hand-over in
    place). Custody moves only when the receiver confirms with a receipt (R-LIFE, two-party custody)."""

    battery = models.ForeignKey(Battery, on_delete=models.PROTECT, related_name="releases")
    releaser = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    receiver = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="releases_to",
        verbose_name=_("receiver"),
    )
    kind = models.CharField(max_length=32, choices=EventKindChoices.choices)
    manifest = models.CharField(_("manifest"), max_length=64, blank=True)
    release_event = models.ForeignKey(LifecycleEvent, on_delete=models.PROTECT, related_name="+")
    state_before = models.CharField(max_length=20)
    status = models.CharField(max_length=12, choices=ReleaseStatus.choices, default=ReleaseStatus.OPEN)
    closing_event = models.ForeignKey(LifecycleEvent, on_delete=models.PROTECT, null=True, related_name="+")
    region = models.CharField(max_length=3, choices=Region.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    tenancy = TenancyRule(owners=("releaser", "receiver"), region="region")

    class Meta:
        verbose_name = _("custody release")
        constraints = [
            models.UniqueConstraint(
                fields=["battery"], condition=Q(status="open"), name="one_open_release_per_battery"
            )
        ]
        indexes = [models.Index(fields=["receiver", "status"])]


class RegulatorReview(models.Model):
    """Who reviewed a request for the region's regulator, when, and what they noted."""

    reviewer = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.CharField(max_length=500, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CustodyClaim(RegulatorReview):
    """A battery that turned up without a release (an orphan at a service point, a pack left with a repairer,
    a lost pack found): the claimant asks for custody, the regulator of the region approves or rejects it.
    Custody moves only on approval."""

    battery = models.ForeignKey(Battery, on_delete=models.PROTECT, related_name="claims")
    claimant = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receipt_kind = models.CharField(max_length=32, choices=EventKindChoices.choices)
    reason = models.CharField(_("reason"), max_length=500)
    place = models.CharField(_("place"), max_length=200, blank=True)
    place_ref = models.CharField(max_length=64, blank=True)
    found_at = models.DateTimeField(_("found at"))
    region = models.CharField(_("region"), max_length=3, choices=Region.choices)
    custodian_at_claim = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state_at_claim = models.CharField(max_length=20)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    event = models.ForeignKey(
        LifecycleEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(owners=("claimant",), region="region")

    class Meta:
        verbose_name = _("custody claim")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["battery", "claimant"],
                condition=Q(status="pending"),
                name="one_pending_claim_per_claimant",
            )
        ]
        indexes = [models.Index(fields=["region", "status"])]


class AfterSalesOutlet(models.Model):
    """An after-sales outlet authorised by an automaker (溯源管理暂行规定 第十条): it may swap or take out the packs
    of that automaker's vehicles."""

    automaker = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="outlets")
    outlet = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="outlet_of")
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(owners=("automaker", "outlet"))

    class Meta:
        verbose_name = _("after-sales outlet")
        constraints = [models.UniqueConstraint(fields=["automaker", "outlet"], name="outlet_once")]


class ErrorReason(models.TextChoices):
    """Why an event is declared erroneous (after EPCIS 2.0 ``errorDeclaration.reason``)."""

    INCORRECT_DATA = "incorrect_data", _("Incorrect data (time, place, details)")
    DID_NOT_OCCUR = "did_not_occur", _("Did not occur")
    WRONG_BATTERY = "wrong_battery", _("Recorded on the wrong battery")
    WRONG_PARTY = "wrong_party", _("Wrong party")


class DeclarationStatus(models.TextChoices):
    EFFECTIVE = "effective", _("Effective")
    PENDING = "pending", _("Awaiting the regulator")
    APPROVED = "approved", _("Approved by the regulator")
    REJECTED = "rejected", _("Rejected by the regulator")


# Declarations whose correction took effect: their wrong event no longer counts.
DECLARATION_IN_FORCE = (DeclarationStatus.EFFECTIVE, DeclarationStatus.APPROVED)


class ErrorDeclaration(RegulatorReview):
    """A lifecycle event declared erroneous, in the manner of EPCIS 2.0 ``errorDeclaration`` (R-LIFE): the history
    stays append-only. The wrong event stays in the trace and the ledger; the ``corrected`` event (a ledger leaf,
    its payload naming this declaration) returns the battery to its state, custodian and binding before the wrong
    event, and the corrective events, recorded through the event engine, say what really happened. A correction
    that moves custody waits for the region's regulator (``pending``); nothing changes until it is approved.

    The event table stays append-only (migration 0004's trigger is untouched; no flag is set on the wrong event's
    row): what counts leaves out the events with a declaration in force (:func:`not_declared_erroneous`; the
    dashboards' materialised views by an anti-join on this small table)."""

    battery = models.ForeignKey(Battery, on_delete=models.PROTECT, related_name="error_declarations")
    event = models.ForeignKey(
        LifecycleEvent,
        on_delete=models.PROTECT,
        related_name="error_declarations",
        verbose_name=_("wrong event"),
    )
    declarant = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("declared by")
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=20, choices=ErrorReason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    corrective = models.JSONField(
        default=list, blank=True, help_text=_("The corrective events as declared, applied when effective.")
    )
    region = models.CharField(_("region"), max_length=3, choices=Region.choices)
    status = models.CharField(
        max_length=10, choices=DeclarationStatus.choices, default=DeclarationStatus.PENDING
    )
    moves_custody = models.BooleanField(default=False)
    correction_event = models.ForeignKey(
        LifecycleEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    corrective_events = models.ManyToManyField(LifecycleEvent, blank=True, related_name="corrective_of")

    tenancy = TenancyRule(owners=("declarant",), region="region")

    class Meta:
        verbose_name = _("error declaration")
        ordering = ["-declared_at", "-id"]
        constraints = [
            # One open or effective declaration per event; a rejected one may be declared again.
            models.UniqueConstraint(
                fields=["event"],
                condition=Q(status__in=["effective", "pending", "approved"]),
                name="one_declaration_per_event",
            )
        ]
        indexes = [models.Index(fields=["region", "status"])]

    def __str__(self) -> str:
        return f"{self.event_id} {self.reason} ({self.status})"


def not_declared_erroneous(ref: str = "pk") -> Q:
    """Events without a declaration in force (``~Exists``): what the counts count (R-LIFE corrections)."""
    return ~Q(
        Exists(ErrorDeclaration.objects.filter(event_id=OuterRef(ref), status__in=DECLARATION_IN_FORCE))
    )
