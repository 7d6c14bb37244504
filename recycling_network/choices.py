from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PointKind(models.TextChoices):
    FIXED = "fixed", _("Fixed service point")
    MOBILE = "mobile", _("Mobile station")
    COMPREHENSIVE = "comprehensive", _("Comprehensive point (test, sort, pre-dismantle)")
    HUB = "hub", _("Logistics and warehouse hub")


class PointStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for review")
    PUBLISHED = "published", _("Published")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", _("Submit")
    PUBLISH = "publish", _("Publish")
    RETURN = "return", _("Return to draft")
    SUSPEND = "suspend", _("Suspend")
    REINSTATE = "reinstate", _("Reinstate")
    CLOSE = "close", _("Close")


class ChangeRequestKind(models.TextChoices):
    CHANGE = "change", _("Change the point's facts")
    CLOSE = "close", _("Close the point")


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("change request", "Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class SourceKind(models.TextChoices):
    OWNER = "owner", _("Vehicle owner")
    DEALER = "dealer", _("Dealer / after-sales outlet")
    DISMANTLER = "dismantler", _("Scrapped-vehicle dismantler")
    FLEET_OPERATOR = "fleet_operator", _("Fleet operator")
    SERVICE_POINT = "service_point", _("Another service point")
    OTHER = "other", _("Other")


class Condition(models.TextChoices):
    INTACT = "intact", _("Intact")
    DAMAGED = "damaged", _("Damaged")
    LEAKING = "leaking", _("Leaking")
    THERMAL_EVENT = "thermal_event", _("Thermal event")


CONDITION_SEVERITY = {
    Condition.INTACT: 0,
    Condition.DAMAGED: 1,
    Condition.LEAKING: 2,
    Condition.THERMAL_EVENT: 3,
}


class TransferStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", _("In transit")
    PARTIAL = "partial", _("Partly received")
    RECEIVED = "received", _("Received")
    CLOSED_SHORT = "closed_short", _("Closed with packs missing")


class ItemStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    MISSING = "missing", _("Missing in transit")


class AlertKind(models.TextChoices):
    MISSING_IN_TRANSIT = "missing_in_transit", _("Missing in transit")
    UNREGISTERED_CODE = "unregistered_code", _("Unregistered code taken in")
    SCRAP_WITHOUT_PACK = "scrap_without_pack", _("Vehicle scrapped without its pack")
    CERTIFICATE_MISMATCH = "certificate_mismatch", _("Battery-recycled certificate contradicts the trace")


class CertificateCheck(models.TextChoices):
    CONSISTENT = "consistent", _("Consistent with the trace")
    MISMATCH = "mismatch", _("Contradicts the trace")
