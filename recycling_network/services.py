"""Writes for the recycling network (R-NET, R-SCRAP, R-PUBLIC, R-LIFE).

Every custody change is a lifecycle event recorded through :func:`traceability.services.event_record`
(``place_ref="sp:<id>"`` for a service point); the rows here (intakes, stock, manifests, certificates) are the
network's own records around those events. Every write is audited with the acting user.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from PIL import Image, UnidentifiedImageError

from accounts.models import Organisation, User
from core import tenancy
from core.audit import audit_log
from core.errors import Conflict, Forbidden, Invalid, NotFound
from regeneration.selectors import licence_refusal
from traceability import codes as trace_codes
from traceability import services as trace
from traceability import vin as trace_vin
from traceability.lifecycle import EventKind, State
from traceability.models import Battery, Binding, LifecycleEvent, Vehicle

from . import scrapping
from .choices import (
    CONDITION_SEVERITY,
    AlertKind,
    CertificateCheck,
    ChangeRequestKind,
    ChangeRequestStatus,
    Condition,
    ItemStatus,
    PointStatus,
    SourceKind,
    TransferStatus,
)
from .geo import gcj02_to_wgs84, out_of_china
from .models import (
    BatteryRecycledCertificate,
    Division,
    Intake,
    NetworkAlert,
    PackRemoval,
    PointChangeRequest,
    PointReview,
    ScrapCertificate,
    ServicePoint,
    StockEntry,
    Transfer,
    TransferItem,
)
from .selectors import network_parameter
from .workflow import OWNER, REGULATOR, IllegalReview, review_step


class NetworkError(Invalid):
    """A refused write (400); ``field`` names the input at fault."""

    http_status = 400


class CustodyConflict(NetworkError, Conflict):
    """The pack is held elsewhere (409): another point's stock, in transit, or already further down the chain."""

    http_status = 409

    def __init__(self, message: str, *, code: str = "custody_conflict"):
        super().__init__(message, field="code", code=code)


def _acting_org(actor: User) -> Organisation:
    if actor.organisation_id is None:
        raise Forbidden("act for an organisation to do this")
    if not actor.can_write:
        raise Forbidden("your role is read-only")
    return actor.organisation


def _is_admin(actor: User) -> bool:
    return bool(actor.is_superuser)


# --------------------------------------------------------------------------------------------------------------
# Service points


POINT_FIELDS = (
    "name_zh",
    "name_en",
    "kind",
    "address",
    "contact_name",
    "contact_phone",
    "phone_public",
    "opening_hours",
    "capacity_packs",
    "capacity_kg",
    "storage_area_m2",
    "has_isolation_area",
    "has_fire_suppression",
    "fire_rating",
    "can_test",
    "can_sort",
    "can_pre_dismantle",
)

# What the public map, list, detail page and open data show of a published point (R-PUBLIC): a change to any
# of them sends the point back to review, so nothing reaches the public unreviewed. The automakers served are
# left out: only the operator changes them (co-building is declared through the alliance's shares), and a
# served automaker's wish to change them is a change request.
PUBLIC_POINT_FIELDS = frozenset(
    {
        "name_zh",
        "name_en",
        "kind",
        "address",
        "district",
        "coordinates",
        "contact_phone",
        "phone_public",
        "opening_hours",
        "capacity_packs",
        "capacity_kg",
        "has_isolation_area",
        "has_fire_suppression",
        "can_test",
        "can_sort",
        "can_pre_dismantle",
    }
)


def _coordinates(lat: float, lon: float, system: str) -> tuple[float, float]:
    """WGS-84 coordinates from input in ``system`` (wgs84 or gcj02; see :mod:`recycling_network.geo`)."""
    if system not in ("wgs84", "gcj02"):
        raise NetworkError("coordinate system must be wgs84 or gcj02", field="coordinate_system")
    if out_of_china(lat, lon):
        raise NetworkError(
            "coordinates lie outside China; give latitude and longitude in degrees", field="lat"
        )
    return gcj02_to_wgs84(lat, lon) if system == "gcj02" else (lat, lon)


def _division(code: str) -> Division:
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise NetworkError(f"unknown district code {code!r} (Beijing, Tianjin or Hebei)", field="district")
    return division


def _next_point_code(region: str) -> str:
    last = ServicePoint.objects.filter(region=region).aggregate(m=Max("code"))["m"]
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"SP-{region}-{seq:04d}"


@transaction.atomic
def service_point_register(
    *,
    actor: User,
    name_zh: str,
    district: str,
    address: str,
    lat: float,
    lon: float,
    automakers: list[Organisation] | None = None,
    operator: Organisation | None = None,
    coordinate_system: str = "wgs84",
    **fields: Any,
) -> ServicePoint:
    """An automaker registers a service point as a draft (R-NET). ``automakers`` lists every automaker a
    co-built point serves (seed 四(一)1 共建共享); the registering automaker is always one of them.
    ``operator`` runs the point (default: the automaker itself)."""
    org = tenancy.require_kind(actor, "automaker") if not _is_admin(actor) else _acting_org(actor)
    unknown = set(fields) - set(POINT_FIELDS)
    if unknown:
        raise NetworkError(f"unknown fields: {', '.join(sorted(unknown))}")
    served = {a.pk: a for a in (automakers or [])}
    if "automaker" in org.kinds:
        served.setdefault(org.pk, org)
    not_automakers = [str(a) for a in served.values() if "automaker" not in a.kinds]
    if not_automakers:
        raise NetworkError(f"not automakers: {', '.join(not_automakers)}", field="automakers")
    if not served:
        raise NetworkError("a service point serves at least one automaker", field="automakers")
    division = _division(district)
    wlat, wlon = _coordinates(float(lat), float(lon), coordinate_system)
    point = ServicePoint.objects.create(
        code=_next_point_code(division.region),
        name_zh=name_zh,
        operator=operator or org,
        registered_by=org,
        region=division.region,
        district=division,
        address=address,
        lat=wlat,
        lon=wlon,
        coordinate_input=coordinate_system,
        **fields,
    )
    point.automakers.set(served.values())
    audit_log(
        actor=actor,
        action="service_point.register",
        obj=point,
        changes={"automakers": sorted(served), "operator": point.operator_id, "district": division.code},
    )
    return point


@transaction.atomic
def service_point_update(
    *,
    point: ServicePoint,
    actor: User,
    automakers: list[Organisation] | None = None,
    district: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    coordinate_system: str = "wgs84",
    **fields: Any,
) -> ServicePoint:
    """The operator changes a point's facts (R-NET). A change to what the public sees of a published point
    (:data:`PUBLIC_POINT_FIELDS`) sends it back to review (submitted) unless the regulator itself made it.
    Served automakers that do not operate the point file a :func:`point_change_request` instead."""
    tenancy.require_write(actor, point)
    if point.status == PointStatus.CLOSED:
        raise NetworkError("a closed point cannot be changed", field="status")
    unknown = set(fields) - set(POINT_FIELDS)
    if unknown:
        raise NetworkError(f"unknown fields: {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        if getattr(point, name) != value:
            changes[name] = [getattr(point, name), value]
            setattr(point, name, value)
    if district is not None and district != point.district_id:
        division = _division(district)
        changes["district"] = [point.district_id, division.code]
        point.district, point.region = division, division.region
    if lat is not None and lon is not None:
        wlat, wlon = _coordinates(float(lat), float(lon), coordinate_system)
        if (round(wlat, 7), round(wlon, 7)) != (round(point.lat, 7), round(point.lon, 7)):
            changes["coordinates"] = [[point.lat, point.lon], [wlat, wlon]]
            point.lat, point.lon, point.coordinate_input = wlat, wlon, coordinate_system
    if automakers is not None:
        ids = sorted(a.pk for a in automakers)
        if not ids or any("automaker" not in a.kinds for a in automakers):
            raise NetworkError("automakers must be one or more automakers", field="automakers")
        before = sorted(point.automakers.values_list("pk", flat=True))
        if before != ids:
            changes["automakers"] = [before, ids]
            point.automakers.set(automakers)
    public = PUBLIC_POINT_FIELDS & set(changes)
    if public and point.status == PointStatus.PUBLISHED and not tenancy.scope_of(actor).regulator:
        changes["status"] = [point.status, PointStatus.SUBMITTED]
        point.status = PointStatus.SUBMITTED
    point.updated_at = timezone.now()
    point.save()
    if changes:
        audit_log(actor=actor, action="service_point.update", obj=point, changes=changes)
    return point


@transaction.atomic
def service_point_review(*, point: ServicePoint, actor: User, action: str, note: str = "") -> ServicePoint:
    """Take one workflow step (see :mod:`recycling_network.workflow`): the owner submits or closes, the
    regulator of the point's region publishes, returns, suspends, reinstates or closes. Every step is kept in
    :class:`PointReview` and the audit trail."""
    point = ServicePoint.objects.select_for_update().get(pk=point.pk)
    scope = tenancy.scope_of(actor)
    if scope.regulator or (scope.superuser and action not in ("submit",)):
        tenancy.require_regulator(actor, region=point.region, write=True)
        role = REGULATOR
    elif action == "submit" and actor.organisation_id == point.registered_by_id and actor.can_write:
        role = OWNER  # the registering automaker submits its draft even where another enterprise operates
    else:
        tenancy.require_write(actor, point)
        role = OWNER
    try:
        after = review_step(point.status, action, role)
    except IllegalReview as exc:
        raise NetworkError(str(exc), field="action", code="illegal_review") from exc
    before = point.status
    point.status = after
    if after == PointStatus.PUBLISHED and point.published_at is None:
        point.published_at = timezone.now()
    point.updated_at = timezone.now()
    point.save(update_fields=["status", "published_at", "updated_at"])
    PointReview.objects.create(
        point=point,
        action=action,
        status_before=before,
        status_after=after,
        actor=actor,
        organisation=actor.organisation or point.operator,
        note=note,
    )
    audit_log(
        actor=actor,
        action=f"service_point.{action}",
        obj=point,
        changes={"status": [before, after], "note": note},
    )
    return point


# --------------------------------------------------------------------------------------------------------------
# Change requests for co-built points


CHANGEABLE = frozenset(POINT_FIELDS) | {"district", "lat", "lon", "coordinate_system", "automakers"}


def _requestable(value: Any) -> Any:
    """A requested value as JSON: organisations by USCC, decimals as text."""
    if isinstance(value, Organisation):
        return value.uscc
    if isinstance(value, list | tuple):
        return [_requestable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


@transaction.atomic
def point_change_request(
    *, point: ServicePoint, actor: User, kind: str = ChangeRequestKind.CHANGE, note: str = "", **changes: Any
) -> PointChangeRequest:
    """An automaker that a point serves, but does not operate, asks for a change or for closing (R-NET).

    The operator edits its point itself; a regulator reviews. A pending request changes nothing until
    :func:`point_change_decide` approves it."""
    org = _acting_org(actor)
    if not tenancy.can_read(actor, point):
        raise NotFound(gettext("Not found."), field="id")
    served = point.automakers.filter(pk=org.pk).exists() or point.registered_by_id == org.pk
    if point.operator_id == org.pk or not served:
        raise Forbidden(
            "only an automaker that this point serves and does not operate files change requests; "
            "the operator changes its point itself"
        )
    if point.status == PointStatus.CLOSED:
        raise NetworkError("a closed point cannot be changed", field="status")
    if kind not in ChangeRequestKind.values:
        raise NetworkError(f"unknown request {kind!r}", field="kind")
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise NetworkError(f"unknown fields: {', '.join(sorted(unknown))}", field="changes")
    if kind == ChangeRequestKind.CHANGE and not changes:
        raise NetworkError("say what should change", field="changes")
    if kind == ChangeRequestKind.CLOSE and changes:
        raise NetworkError("a request to close carries no changes", field="changes")
    if ("lat" in changes) != ("lon" in changes):
        raise NetworkError("give latitude and longitude together", field="lat")
    request = PointChangeRequest.objects.create(
        point=point,
        kind=kind,
        changes={k: _requestable(v) for k, v in changes.items()},
        note=note,
        requested_by=org,
        requested_by_user=actor,
    )
    audit_log(
        actor=actor,
        action="service_point.change_request",
        obj=point,
        changes={"request": request.pk, "kind": kind, "fields": sorted(changes)},
    )
    return request


@transaction.atomic
def point_change_decide(
    *, request: PointChangeRequest, actor: User, approve: bool, note: str = ""
) -> PointChangeRequest:
    """The point's operator, or the regulator of its region, approves or rejects a pending request. Approval
    applies it through :func:`service_point_update` or :func:`service_point_review` (``close``), as that
    decider: the same checks, audit and re-review as a direct change."""
    request = PointChangeRequest.objects.select_for_update().select_related("point").get(pk=request.pk)
    point = request.point
    scope = tenancy.scope_of(actor)
    if scope.regulator:
        tenancy.require_regulator(actor, region=point.region, write=True)
    else:
        tenancy.require_write(actor, point)
    if request.status != ChangeRequestStatus.PENDING:
        raise NetworkError(f"this request is already {request.status}", field="status", code="decided")
    if approve:
        if request.kind == ChangeRequestKind.CLOSE:
            service_point_review(point=point, actor=actor, action="close", note=note or request.note)
        else:
            fields = dict(request.changes)
            if "automakers" in fields:
                codes = fields["automakers"]
                found = {o.uscc: o for o in Organisation.objects.filter(uscc__in=codes)}
                if len(found) != len(set(codes)):
                    raise NetworkError("a requested automaker no longer exists", field="automakers")
                fields["automakers"] = [found[c] for c in codes]
            if fields.get("storage_area_m2") is not None:
                fields["storage_area_m2"] = Decimal(fields["storage_area_m2"])
            service_point_update(point=point, actor=actor, **fields)
    request.status = ChangeRequestStatus.APPROVED if approve else ChangeRequestStatus.REJECTED
    request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_log(
        actor=actor,
        action=f"service_point.change_request.{request.status}",
        obj=point,
        changes={"request": request.pk, "kind": request.kind, "note": note},
    )
    return request


# --------------------------------------------------------------------------------------------------------------
# Intake


@dataclass(frozen=True)
class IntakeResult:
    intake: Intake
    unregistered: bool


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).upper()


PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def require_photo(photo) -> None:
    """Check an intake photo by its content, not its name or declared type: a JPEG, PNG or WebP image of at
    most ``PHOTO_UPLOAD_MAX_BYTES``. Renames it after its real format, so a stored upload is never ``.html``."""
    limit = settings.PHOTO_UPLOAD_MAX_BYTES
    if photo.size > limit:
        raise NetworkError(f"the photo has {photo.size} bytes; at most {limit}", field="photo")
    try:
        photo.seek(0)
        with Image.open(photo) as image:
            found = image.format
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise NetworkError(
            "the photo is not a readable JPEG, PNG or WebP image", field="photo", code="not_an_image"
        ) from exc
    finally:
        photo.seek(0)
    if found not in PHOTO_FORMATS:
        raise NetworkError(
            f"the photo is a {found} image; send JPEG, PNG or WebP", field="photo", code="not_an_image"
        )
    photo.name = f"{secrets.token_hex(8)}.{PHOTO_FORMATS[found]}"


def require_code_shape(code: str) -> str:
    """``code`` if it can be a battery code as scanned, else :class:`NetworkError` on ``code`` (R-CODE).

    A code that is well formed but fails GB/T 34014's finer rules (an unknown maker, a date out of range) is
    still taken in as unregistered, so that no pack is turned away; text outside the code alphabet (a formula,
    markup) or of the wrong length is not a code at all and is refused."""
    if not 10 <= len(code) <= 25:
        raise NetworkError("a pack code has 24 characters (25 for a cascade-use code)", field="code")
    try:
        trace_codes.parse(code)
    except trace_codes.CodeError as exc:
        if exc.field == "charset":
            raise NetworkError(f"not a battery code: {exc.message}", field="code", code="not_a_code") from exc
    alphabet = trace_codes.default_rules().charset
    if not set(code) <= set(alphabet):
        raise NetworkError(
            "not a battery code: only digits and capital letters are allowed", field="code", code="not_a_code"
        )
    return code


def require_operator(actor: User, point: ServicePoint) -> Organisation:
    """The acting organisation, which must operate ``point`` (a dismantler cannot receive into a point it does
    not run). 404 for a point the user cannot see, 403 for one it can see but does not operate."""
    if not tenancy.can_read(actor, point):
        raise NotFound(gettext("Not found."), field="id")
    org = _acting_org(actor)
    if point.operator_id != org.pk and not _is_admin(actor):
        raise Forbidden(f"only the operator of {point.code} ({point.operator}) may record its stock")
    return point.operator


def _check_custody(battery: Battery, point: ServicePoint) -> None:
    """Refuse a pack that someone else holds, saying who and since when."""
    stock = StockEntry.objects.select_related("point").filter(battery=battery).first()
    if stock is not None:
        if stock.point_id == point.pk:
            raise CustodyConflict(
                f"{battery.code} is already in stock at {point.code} since {stock.since:%Y-%m-%d %H:%M}",
                code="already_in_stock",
            )
        raise CustodyConflict(
            f"{battery.code} is in the custody of service point {stock.point.code} ({stock.point.display_name}, "
            f"operated by {stock.point.operator}) since {stock.since:%Y-%m-%d}; it must be transferred from "
            f"there under a manifest"
        )
    if battery.state == State.IN_TRANSIT:
        item = (
            TransferItem.objects.select_related("transfer")
            .filter(battery=battery, status__in=[ItemStatus.IN_TRANSIT, ItemStatus.MISSING])
            .order_by("-id")
            .first()
        )
        where = f" under manifest {item.transfer.number} to {item.transfer.receiver}" if item else ""
        raise CustodyConflict(
            f"{battery.code} is in transit{where}; the receiver confirms its arrival on the manifest",
            code="in_transit",
        )
    if battery.state == State.AT_SERVICE_POINT and battery.custodian_id not in (None, point.operator_id):
        raise CustodyConflict(f"{battery.code} is held at a service point of {battery.custodian}")
    if battery.state in (
        State.CASCADE_USE,
        State.AT_REGENERATION,
        State.DISMANTLED,
        State.RECYCLED,
        State.SCRAPPED,
        State.CONSUMED,
    ):
        holder = f" by {battery.custodian}" if battery.custodian_id else ""
        raise CustodyConflict(
            f"{battery.code} is in state '{battery.state}'{holder}; a service point cannot take it in",
            code="custody_conflict",
        )


@transaction.atomic
def intake_record(
    *,
    point: ServicePoint,
    actor: User,
    code: str,
    source_kind: str,
    condition: str = Condition.INTACT,
    received_at: datetime | None = None,
    source_org: Organisation | None = None,
    source_name: str = "",
    mass_kg: Decimal | None = None,
    photo=None,
) -> IntakeResult:
    """A service point registers a received pack (R-NET, R-LIFE; 第十一条).

    An unknown code is accepted as unregistered (``battery_register_unknown``) and flagged to the regulator
    so that no pack is turned away; a pack held elsewhere raises :class:`CustodyConflict` (409). A pack still
    recorded as in a vehicle gets its removal recorded first. Custody passes to the point's operator with
    ``place_ref="sp:<id>"``.
    """
    operator = require_operator(actor, point)
    if point.status != PointStatus.PUBLISHED:
        raise NetworkError(
            f"{point.code} is {point.status}; only a published point takes packs in", field="point"
        )
    if source_kind not in SourceKind.values:
        raise NetworkError(f"unknown source {source_kind!r}", field="source_kind")
    if condition not in Condition.values:
        raise NetworkError(f"unknown condition {condition!r}", field="condition")
    code = require_code_shape(normalise_code(code))
    if photo:
        require_photo(photo)
    received_at = received_at or timezone.now()
    if received_at > timezone.now():
        raise NetworkError("the receipt time lies in the future", field="received_at")
    battery = Battery.objects.filter(code=code).first()
    if battery is None:
        battery = trace.battery_register_unknown(code=code, actor=operator, occurred_at=received_at)
    # A code no maker registered, or whose maker is not in the code registry (flagged): both are reported.
    unregistered = not battery.registered or battery.unregistered_maker
    _check_custody(battery, point)
    try:
        if battery.state == State.IN_VEHICLE:
            trace.event_record(
                battery=battery,
                kind=EventKind.REMOVED,
                actor=operator,
                actor_user=actor,
                occurred_at=received_at,
                place=point.name_zh,
                place_ref=point.place_ref,
                region=point.region,
                payload={"reported_at_intake": True},
            )
        event = trace.event_record(
            battery=battery,
            kind=EventKind.RECEIVED,
            actor=operator,
            actor_user=actor,
            occurred_at=received_at,
            custodian_after=operator,
            place=point.name_zh,
            place_ref=point.place_ref,
            region=point.region,
            payload={
                "source_kind": source_kind,
                "source": source_name or (str(source_org) if source_org else ""),
                "condition": condition,
                "mass_kg": str(mass_kg) if mass_kg is not None else None,
                "unregistered": unregistered,
            },
        )
    except trace.TraceabilityError as exc:
        hint = ""
        if exc.code == "custody.receipt_without_release":
            hint = "; without a release from its holder, file a claim for the regulator's review"
        raise CustodyConflict(exc.message + hint, code=exc.code) from exc
    intake = Intake.objects.create(
        point=point,
        battery=battery,
        code=code,
        source_kind=source_kind,
        source_org=source_org,
        source_name=source_name,
        condition=condition,
        mass_kg=mass_kg,
        photo=photo or "",
        unregistered=unregistered,
        received_at=received_at,
        recorded_by=actor,
        event=event,
    )
    StockEntry.objects.create(
        battery=battery,
        point=point,
        since=received_at,
        condition=condition,
        mass_kg=mass_kg or battery.mass_kg,
    )
    if unregistered:
        NetworkAlert.objects.create(
            kind=AlertKind.UNREGISTERED_CODE,
            region=point.region,
            battery=battery,
            point=point,
            organisation=operator,
            message=f"unregistered code {code} taken in at {point.code}",
        )
    audit_log(
        actor=actor,
        action="intake.record",
        obj=intake,
        changes={"code": code, "point": point.code, "unregistered": unregistered, "condition": condition},
    )
    return IntakeResult(intake=intake, unregistered=unregistered)


INTAKE_COLUMNS = ("code", "source_kind", "condition", "mass_kg", "received_at", "source_name")


def intake_bulk(*, point: ServicePoint, actor: User, rows: list[dict[str, str]]) -> list[dict]:
    """Take in many packs from CSV/XLSX rows (columns :data:`INTAKE_COLUMNS`); one report line per row.

    Each row is its own transaction: good rows are kept when others fail. Status per row: ``created``
    (``unregistered`` says whether the code was unknown), ``conflict`` (held elsewhere) or ``error``.
    """
    require_operator(actor, point)
    report = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        code = normalise_code(row.get("code", ""))
        line: dict[str, Any] = {"row": number, "code": code}
        try:
            received_at = _parse_datetime(row.get("received_at", ""))
            mass = Decimal(row["mass_kg"]) if row.get("mass_kg") else None
            result = intake_record(
                point=point,
                actor=actor,
                code=code,
                source_kind=row.get("source_kind") or SourceKind.OWNER,
                condition=row.get("condition") or Condition.INTACT,
                received_at=received_at,
                source_name=row.get("source_name", ""),
                mass_kg=mass,
            )
        except CustodyConflict as exc:
            line.update(status="conflict", message=exc.message)
        except NetworkError as exc:
            line.update(status="error", field=exc.field, message=exc.message)
        except (ArithmeticError, ValueError) as exc:
            line.update(status="error", message=str(exc) or "invalid value")
        else:
            line.update(status="created", intake=result.intake.pk, unregistered=result.unregistered)
        report.append(line)
    return report


def _parse_datetime(text: str) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None

    value = parse_datetime(text.replace("/", "-"))
    if value is None:
        day = parse_date(text.replace("/", "-"))
        if day is None:
            raise NetworkError(
                f"received_at {text!r} is not a date or date-time (YYYY-MM-DD HH:MM)", field="received_at"
            )
        value = datetime(day.year, day.month, day.day, 12, 0)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


# --------------------------------------------------------------------------------------------------------------
# Transfers


RECEIVER_KINDS = (
    "service_operator",
    "automaker",
    "logistics",
    "dismantler",
    "after_sales",
    "cascade_use",
    "regeneration",
)


def dangerous_goods_entry(conditions: list[str]) -> str:
    """The manifest's dangerous-goods entry for the worst pack condition (mapping is data: parameter
    ``dangerous_goods_class``)."""
    mapping = network_parameter("dangerous_goods_class", {"intact": "UN3480"})
    worst = max(conditions or [Condition.INTACT], key=lambda c: CONDITION_SEVERITY.get(c, 0))
    return mapping.get(worst, "UN3480")


@transaction.atomic
def transfer_dispatch(
    *,
    actor: User,
    from_point: ServicePoint,
    codes: list[str],
    carrier_name: str,
    vehicle_plate: str,
    departed_at: datetime | None = None,
    to_point: ServicePoint | None = None,
    receiver: Organisation | None = None,
    carrier: Organisation | None = None,
    expected_arrival_at: datetime | None = None,
    note: str = "",
) -> Transfer:
    """Send packs from a point under a manifest: to another point or the hub (``to_point``), or to a
    cascade-use or regeneration enterprise (``receiver``). Each pack gets a ``dispatched`` event and leaves
    the point's stock; custody stays with the sender until the receiver confirms (:func:`transfer_receive`)."""
    sender = require_operator(actor, from_point)
    if (to_point is None) == (receiver is None):
        raise NetworkError("name either a destination point or a receiving enterprise", field="to_point")
    if to_point is not None:
        if to_point.pk == from_point.pk:
            raise NetworkError("a transfer goes to another point", field="to_point")
        if to_point.status != PointStatus.PUBLISHED:
            raise NetworkError(
                f"{to_point.code} is {to_point.status} and takes no packs in", field="to_point"
            )
        receiver = to_point.operator
    elif not receiver.has_kind("cascade_use", "regeneration"):
        raise NetworkError(
            "a transfer leaves the network only to a cascade-use or regeneration enterprise", field="receiver"
        )
    if not carrier_name.strip() or not vehicle_plate.strip():
        raise NetworkError("the manifest names the carrier and the vehicle plate", field="carrier_name")
    departed_at = departed_at or timezone.now()
    codes = list(dict.fromkeys(normalise_code(c) for c in codes if normalise_code(c)))
    if not codes:
        raise NetworkError("a manifest lists at least one pack", field="codes")
    entries = {
        e.battery.code: e
        for e in StockEntry.objects.select_for_update(of=("self",))
        .select_related("battery")
        .filter(point=from_point, battery__code__in=codes)
    }
    absent = [c for c in codes if c not in entries]
    if absent:
        raise NetworkError(f"not in stock at {from_point.code}: {', '.join(absent)}", field="codes")
    items = [entries[c] for c in codes]
    if receiver.has_kind("regeneration"):
        _require_licence_cover(
            receiver, [(e.battery, e.mass_kg) for e in items], timezone.localdate(departed_at)
        )
    transfer = Transfer.objects.create(
        number=f"TMP-{secrets.token_hex(8)}",
        from_point=from_point,
        sender=sender,
        to_point=to_point,
        receiver=receiver,
        carrier=carrier,
        carrier_name=carrier_name.strip(),
        vehicle_plate=vehicle_plate.strip().upper(),
        dangerous_goods=dangerous_goods_entry([e.condition for e in items]),
        total_mass_kg=sum((e.mass_kg or Decimal(0) for e in items), Decimal(0)),
        departed_at=departed_at,
        expected_arrival_at=expected_arrival_at,
        region=from_point.region,
        receiver_region=to_point.region if to_point else receiver.region,
        created_by=actor,
        note=note,
    )
    transfer.number = f"TM{departed_at:%Y%m%d}-{transfer.pk:06d}"
    transfer.save(update_fields=["number"])
    destination = to_point.code if to_point else str(receiver)
    for entry in items:
        trace.event_record(
            battery=entry.battery,
            kind=EventKind.DISPATCHED,
            actor=sender,
            actor_user=actor,
            occurred_at=departed_at,
            release_to=receiver,
            manifest=transfer.number,
            place=from_point.name_zh,
            place_ref=from_point.place_ref,
            region=from_point.region,
            payload={
                "manifest": transfer.number,
                "to": destination,
                "carrier": transfer.carrier_name,
                "plate": transfer.vehicle_plate,
                "dangerous_goods": transfer.dangerous_goods,
            },
        )
        TransferItem.objects.create(
            transfer=transfer, battery=entry.battery, condition=entry.condition, mass_kg=entry.mass_kg
        )
    StockEntry.objects.filter(pk__in=[e.pk for e in items]).delete()
    audit_log(
        actor=actor,
        action="transfer.dispatch",
        obj=transfer,
        changes={"packs": codes, "to": destination, "dangerous_goods": transfer.dangerous_goods},
    )
    return transfer


def _require_licence_cover(receiver: Organisation, packs: list, on) -> None:
    """A regeneration enterprise takes packs only under its hazardous-waste licence (R-REGEN): each pack's
    category and the licence's validity, and the whole load against the year's remaining scale."""
    problems = []
    for battery, _mass in packs:
        refusal = licence_refusal(enterprise=receiver, battery=battery, on=on, check_scale=False)
        if refusal:
            problems.append(f"{battery.code}: {refusal.message}")
    if not problems and packs:
        total = sum((m or b.mass_kg or Decimal(0) for b, m in packs), Decimal(0))
        refusal = licence_refusal(enterprise=receiver, battery=packs[0][0], on=on, mass_kg=total)
        if refusal:
            problems.append(refusal.message)
    if problems:
        raise NetworkError("; ".join(problems), field="receiver", code="licence")


def _arrival_kind(transfer: Transfer) -> str:
    if transfer.to_point_id:
        return EventKind.RECEIVED
    if transfer.receiver.has_kind("regeneration"):
        return EventKind.REGENERATION_RECEIVED
    return EventKind.CASCADE_RECEIVED


@transaction.atomic
def transfer_receive(
    *,
    transfer: Transfer,
    actor: User,
    codes: list[str],
    received_at: datetime | None = None,
    close: bool = False,
) -> Transfer:
    """The receiver confirms which packs arrived; custody of each passes to it now, with a ``received``
    (point), ``cascade_received`` or ``regeneration_received`` event. Packs not confirmed stay in transit in
    the sender's custody; ``close`` ends the manifest and reports them missing at once."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if not tenancy.can_read(actor, transfer):
        raise NotFound(gettext("Not found."), field="id")
    org = _acting_org(actor)
    if org.pk != transfer.receiver_id and not _is_admin(actor):
        raise Forbidden(f"only the receiver ({transfer.receiver}) confirms arrivals on {transfer.number}")
    if transfer.status in (TransferStatus.RECEIVED, TransferStatus.CLOSED_SHORT) and codes:
        raise NetworkError(f"manifest {transfer.number} is {transfer.status}", field="codes")
    received_at = received_at or timezone.now()
    if received_at < transfer.departed_at:
        raise NetworkError("arrival before departure", field="received_at")
    codes = list(dict.fromkeys(normalise_code(c) for c in codes if normalise_code(c)))
    items = {
        i.battery.code: i
        for i in transfer.items.select_for_update(of=("self",))
        .select_related("battery")
        .filter(battery__code__in=codes)
    }
    foreign = [c for c in codes if c not in items]
    if foreign:
        raise NetworkError(f"not on manifest {transfer.number}: {', '.join(foreign)}", field="codes")
    done = [c for c in codes if items[c].status == ItemStatus.RECEIVED]
    if done:
        raise NetworkError(f"already received: {', '.join(done)}", field="codes")
    kind = _arrival_kind(transfer)
    point = transfer.to_point
    if kind == EventKind.REGENERATION_RECEIVED and codes:
        _require_licence_cover(
            transfer.receiver,
            [(items[c].battery, items[c].mass_kg) for c in codes],
            timezone.localdate(received_at),
        )
    for code in codes:
        item = items[code]
        try:
            trace.receipt_confirm(
                battery=item.battery,
                kind=kind,
                actor=transfer.receiver,
                actor_user=actor,
                occurred_at=received_at,
                place=point.name_zh if point else str(transfer.receiver),
                place_ref=point.place_ref if point else f"org:{transfer.receiver_id}",
                region=point.region if point else transfer.receiver_region,
                payload={"manifest": transfer.number, "from": transfer.from_point.code},
            )
        except trace.TraceabilityError as exc:
            raise CustodyConflict(f"{code}: {exc.message}", code=exc.code) from exc
        item.status, item.received_at = ItemStatus.RECEIVED, received_at
        item.save(update_fields=["status", "received_at"])
        NetworkAlert.objects.filter(transfer_item=item, resolved_at__isnull=True).update(
            resolved_at=received_at
        )
        if point is not None:
            StockEntry.objects.create(
                battery=item.battery,
                point=point,
                since=received_at,
                condition=item.condition,
                mass_kg=item.mass_kg,
            )
    if codes and transfer.arrived_at is None:
        transfer.arrived_at = received_at
    if close:
        pending = list(transfer.items.select_related("battery").filter(status=ItemStatus.IN_TRANSIT))
        for item in pending:
            _flag_missing(item, now=received_at, reason="not delivered when the receiver closed the manifest")
    _refresh_status(transfer, closed=close)
    audit_log(
        actor=actor,
        action="transfer.receive",
        obj=transfer,
        changes={"received": codes, "close": close, "status": transfer.status},
    )
    return transfer


def _refresh_status(transfer: Transfer, *, closed: bool = False) -> None:
    statuses = list(transfer.items.values_list("status", flat=True))
    if all(s == ItemStatus.RECEIVED for s in statuses):
        transfer.status = TransferStatus.RECEIVED
    elif closed or transfer.status == TransferStatus.CLOSED_SHORT:
        transfer.status = TransferStatus.CLOSED_SHORT
    elif any(s == ItemStatus.RECEIVED for s in statuses):
        transfer.status = TransferStatus.PARTIAL
    else:
        transfer.status = TransferStatus.IN_TRANSIT
    transfer.save(update_fields=["status", "arrived_at"])


def _flag_missing(item: TransferItem, *, now: datetime, reason: str) -> NetworkAlert | None:
    if item.status != ItemStatus.IN_TRANSIT:
        return None
    transfer = item.transfer
    trace.event_record(
        battery=item.battery,
        kind=EventKind.LOST,
        actor=None,
        occurred_at=now,
        place=f"manifest {transfer.number}",
        place_ref=f"tm:{transfer.pk}",
        region=transfer.region,
        payload={"manifest": transfer.number, "reason": reason},
    )
    item.status, item.missing_since = ItemStatus.MISSING, now
    item.save(update_fields=["status", "missing_since"])
    alert = NetworkAlert.objects.create(
        kind=AlertKind.MISSING_IN_TRANSIT,
        region=transfer.region,
        battery=item.battery,
        point=transfer.from_point,
        transfer_item=item,
        organisation=transfer.sender,
        message=f"{item.battery.code} missing in transit on {transfer.number} ({reason})",
        raised_at=now,
    )
    audit_log(actor=None, action="transfer.missing", obj=item.transfer, changes={"code": item.battery.code})
    return alert


@transaction.atomic
def transit_missing_flag(*, now: datetime | None = None, hours: float | None = None) -> int:
    """Report every pack that left more than ``hours`` (parameter ``transit_missing_hours``) ago and has not
    arrived: a ``lost`` event in its trace (custody unchanged) and a missing-in-transit alert. Returns how
    many were flagged; run hourly by Celery beat."""
    now = now or timezone.now()
    hours = float(hours if hours is not None else network_parameter("transit_missing_hours", 72))
    cutoff = now - timedelta(hours=hours)
    items = list(
        TransferItem.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("transfer", "battery", "transfer__from_point", "transfer__sender")
        .filter(status=ItemStatus.IN_TRANSIT, transfer__departed_at__lt=cutoff)
    )
    touched = set()
    for item in items:
        _flag_missing(item, now=now, reason=f"not arrived {hours:g} h after departure")
        touched.add(item.transfer_id)
    for transfer in Transfer.objects.filter(pk__in=touched):
        _refresh_status(transfer)
    return len(items)


# --------------------------------------------------------------------------------------------------------------
# Scrapped vehicles (R-SCRAP)


@dataclass(frozen=True)
class RecycledCertificateInput:
    """A battery-recycled certificate (电池回收证明) handed in with a scrap certificate."""

    number: str
    battery_code: str
    recycled_by: Organisation
    issued_at: date


class ScrapRefused(NetworkError):
    """A scrap certificate refused by a rule of :mod:`recycling_network.scrapping`; ``code`` names the rule."""

    def __init__(self, refusal: scrapping.ScrapRefusal):
        super().__init__(refusal.message, field=refusal.field, code=refusal.code)
        self.http_status = refusal.http_status


def _scrap_refused(message: str, *, field: str, code: str, http_status: int = 422) -> ScrapRefused:
    return ScrapRefused(scrapping.ScrapRefusal(message, field=field, code=code, http_status=http_status))


def _pack_facts(
    vehicle: Vehicle, named: Battery | None, recycled: RecycledCertificateInput | None, rules
) -> tuple[scrapping.PackFacts, Battery | None]:
    """What the trace says of the vehicle's packs (a few queries), and the pack the certificate speaks for."""
    bindings = list(Binding.objects.filter(vehicle=vehicle).select_related("pack").order_by("bound_at", "id"))
    current = next((b for b in bindings if b.unbound_at is None), None)
    past = [b for b in bindings if b.unbound_at is not None]
    last_out = past[-1] if past and current is None else None
    # Where each pack that left got to afterwards: one query for all of them.
    reached = LifecycleEvent.objects.filter(
        battery_id__in={b.pack_id for b in past}, state_after__in=rules.accounted_states
    ).values_list("battery_id", "occurred_at")
    accounted = set()
    for battery_id, occurred_at in reached:
        accounted |= {b.pack.code for b in past if b.pack_id == battery_id and occurred_at >= b.unbound_at}
    subject = named or (current.pack if current else (last_out.pack if last_out else None))
    consistent = False
    if recycled is not None:
        battery = Battery.objects.filter(code=normalise_code(recycled.battery_code)).first()
        consistent = (
            battery is not None
            and battery == subject
            and not _recycled_notes(
                vehicle=vehicle, vin=vehicle.vin, battery=battery, recycled_by=recycled.recycled_by
            )
        )
    facts = scrapping.PackFacts(
        in_vehicle=current.pack.code if current else None,
        named=named.code if named else None,
        named_was_in_vehicle=named is not None and any(b.pack_id == named.pk for b in bindings),
        last_out=last_out.pack.code if last_out else None,
        accounted=frozenset(accounted),
        recycled_certificate=recycled is not None,
        recycled_consistent=consistent,
    )
    return facts, subject


@transaction.atomic
def scrap_certificate_record(
    *,
    actor: User,
    vin: str,
    number: str,
    issued_at: datetime,
    pack_present: bool = True,
    pack_code: str = "",
    removed_at: datetime | None = None,
    recycled_certificate: RecycledCertificateInput | None = None,
) -> ScrapCertificate:
    """A dismantler records the 《报废汽车回收证明》 it issued (第十三条) and the vehicle is scrapped that day
    (R-SCRAP). What the certificate must show of the pack depends on its date (``data/scrap_rules.json``, see
    :mod:`recycling_network.scrapping`): from 2018 a vehicle without its pack needs the battery-recycled
    certificate unless the pack's trace accounts for it; from 2026-04-01 the certificate names the pack and its
    removal is recorded here, in the same transaction, through the traceability services. A refusal names the
    rule and changes nothing."""
    try:
        org = tenancy.require_kind(actor, "dismantler")
    except Forbidden as exc:
        raise _scrap_refused(
            exc.message, field="actor", code="scrap.dismantler_only", http_status=403
        ) from exc
    rules = scrapping.rules()
    vehicle = Vehicle.objects.select_for_update().filter(vin=trace_vin.normalise(vin)).first()
    if vehicle is None:
        raise NetworkError(f"no vehicle with VIN {vin!r} is registered", field="vin")
    vehicle_region = vehicle.region or vehicle.automaker.region
    if not org.is_active or not scrapping.may_certify(
        rules, dismantler_region=org.region, vehicle_region=vehicle_region
    ):
        raise _scrap_refused(
            f"a dismantler of {org.region} does not certify vehicles registered in {vehicle_region}",
            field="vin", code="scrap.dismantler_region", http_status=403,
        )  # fmt: skip
    number = (number or "").strip()
    if not number:
        raise NetworkError("the certificate number is required", field="number")
    if timezone.is_naive(issued_at) or issued_at > timezone.now():
        raise _scrap_refused("a certificate cannot be issued in the future", field="issued_at",
                             code="scrap.issued_in_future")  # fmt: skip
    if ScrapCertificate.objects.filter(number=number).exists():
        raise CustodyConflict(f"scrap certificate {number} is already recorded", code="duplicate")
    if vehicle.scrapped_at is not None or ScrapCertificate.objects.filter(vehicle=vehicle).exists():
        raise _scrap_refused(f"vehicle {vehicle.vin} is already scrapped", field="vin",
                             code="scrap.already_scrapped", http_status=409)  # fmt: skip
    named = None
    if (pack_code or "").strip():
        named = Battery.objects.filter(code=normalise_code(pack_code)).first()
        if named is None:
            raise NetworkError(f"unknown pack code {pack_code!r}", field="pack_code")
    facts, subject = _pack_facts(vehicle, named, recycled_certificate, rules)
    try:
        decision = scrapping.decide(
            rules, issued_on=timezone.localdate(issued_at), pack_present=pack_present, facts=facts
        )
    except scrapping.ScrapRefusal as exc:
        raise ScrapRefused(exc) from exc
    cert = ScrapCertificate.objects.create(
        number=number,
        dismantler=org,
        vehicle=vehicle,
        vin=vehicle.vin,
        pack=subject if (named or decision.remove) else None,
        issued_at=issued_at,
        pack_present=not decision.without_pack,
        region=org.region,
        recorded_by=actor,
    )
    vehicle.scrapped_at = timezone.localdate(issued_at)
    vehicle.save(update_fields=["scrapped_at"])
    if decision.remove:
        pack_remove(certificate=cert, actor=actor, code=decision.remove, removed_at=removed_at or issued_at)
    if recycled_certificate is not None:
        recycled_certificate_record(
            certificate=cert,
            actor=actor,
            number=recycled_certificate.number,
            battery_code=recycled_certificate.battery_code,
            recycled_by=recycled_certificate.recycled_by,
            issued_at=recycled_certificate.issued_at,
        )
    if decision.without_pack and rules.applies(scrapping.TOGETHER, timezone.localdate(issued_at)):
        NetworkAlert.objects.create(
            kind=AlertKind.SCRAP_WITHOUT_PACK,
            region=org.region,
            battery=subject,
            organisation=org,
            message=f"vehicle {vehicle.vin} scrapped without its pack (certificate {number})",
        )
    audit_log(
        actor=actor,
        action="scrap_certificate.record",
        obj=cert,
        changes={
            "vin": vehicle.vin,
            "pack": subject.code if subject else None,
            "pack_present": cert.pack_present,
            "removed": decision.remove,
            "accounted_by_trace": decision.accounted_by_trace,
        },
    )
    return cert


@transaction.atomic
def pack_remove(
    *, certificate: ScrapCertificate, actor: User, code: str, removed_at: datetime | None = None
) -> PackRemoval:
    """The dismantler takes the pack out of a scrapped vehicle (a ``removed`` event, 第十三条). The pack's
    custodian afterwards is the dismantler, unless a fleet operator owns it separately from the vehicle (bus and
    taxi fleets: the vehicle's fleet owner, or a fleet holding the pack): then the fleet operator is custodian
    and hands it to a service point itself."""
    org = _acting_org(actor)
    if certificate.dismantler_id != org.pk and not _is_admin(actor):
        raise Forbidden("only the dismantler that issued the certificate records the removal")
    battery = Battery.objects.filter(code=normalise_code(code)).first()
    if battery is None:
        raise NetworkError(f"unknown pack code {code!r}", field="code")
    bound = Binding.objects.filter(
        vehicle=certificate.vehicle, pack=battery, unbound_at__isnull=True
    ).exists()
    if not bound:
        raise NetworkError(f"{battery.code} is not the pack in vehicle {certificate.vin}", field="code")
    removed_at = removed_at or timezone.now()
    fleet = certificate.vehicle.fleet_owner
    if fleet is None and battery.custodian is not None and battery.custodian.has_kind("fleet_operator"):
        fleet = battery.custodian
    fleet_owned = fleet is not None and fleet.has_kind("fleet_operator")
    custodian = fleet if fleet_owned else certificate.dismantler
    try:
        event = trace.event_record(
            battery=battery,
            kind=EventKind.REMOVED,
            actor=certificate.dismantler,
            actor_user=actor,
            occurred_at=removed_at,
            custodian_after=custodian,
            region=certificate.region,
            place_ref=f"scrap:{certificate.number}",
            payload={
                "scrap_certificate": certificate.number,
                "vin": certificate.vin,
                "fleet_owned": fleet_owned,
            },
        )
    except trace.TraceabilityError as exc:
        raise CustodyConflict(exc.message, code=exc.code) from exc
    removal = PackRemoval.objects.create(
        certificate=certificate, battery=battery, removed_at=removed_at, custodian=custodian, event=event
    )
    audit_log(
        actor=actor,
        action="pack.remove",
        obj=removal,
        changes={"code": battery.code, "custodian": custodian.pk},
    )
    return removal


def recycled_certificate_check(
    *, certificate: ScrapCertificate, battery: Battery | None, recycled_by: Organisation
) -> list[str]:
    """Reasons the battery-recycled certificate contradicts the trace (empty when consistent)."""
    return _recycled_notes(
        vehicle=certificate.vehicle, vin=certificate.vin, battery=battery, recycled_by=recycled_by
    )


def _recycled_notes(
    *, vehicle: Vehicle, vin: str, battery: Battery | None, recycled_by: Organisation
) -> list[str]:
    notes = []
    if battery is None:
        return ["the pack code is not in the trace"]
    if not Binding.objects.filter(vehicle=vehicle, pack=battery).exists():
        notes.append(f"{battery.code} was never bound to vehicle {vin}")
    reached = LifecycleEvent.objects.filter(battery=battery, custodian_after=recycled_by).exists()
    if not reached:
        notes.append(f"the trace never shows {battery.code} in the custody of {recycled_by}")
    if battery.state in (State.IN_VEHICLE, State.REGISTERED):
        notes.append(f"the trace still shows {battery.code} as '{battery.state}'")
    return notes


@transaction.atomic
def recycled_certificate_record(
    *,
    certificate: ScrapCertificate,
    actor: User,
    number: str,
    battery_code: str,
    recycled_by: Organisation,
    issued_at: date,
) -> BatteryRecycledCertificate:
    """For a vehicle scrapped without its pack: record the certificate that the pack was recycled, naming where
    it went, and check it against the trace (R-SCRAP). A contradiction raises an alert."""
    org = _acting_org(actor)
    if certificate.dismantler_id != org.pk and not _is_admin(actor):
        raise Forbidden("only the dismantler that issued the scrap certificate records this")
    if certificate.pack_present:
        raise NetworkError(
            "the vehicle arrived with its pack; record its removal instead", field="certificate"
        )
    code = normalise_code(battery_code)
    battery = Battery.objects.filter(code=code).first()
    notes = recycled_certificate_check(certificate=certificate, battery=battery, recycled_by=recycled_by)
    record = BatteryRecycledCertificate.objects.create(
        scrap_certificate=certificate,
        number=number.strip(),
        battery_code=code,
        battery=battery,
        recycled_by=recycled_by,
        issued_at=issued_at,
        check_result=CertificateCheck.MISMATCH if notes else CertificateCheck.CONSISTENT,
        check_notes=notes,
    )
    if notes:
        NetworkAlert.objects.create(
            kind=AlertKind.CERTIFICATE_MISMATCH,
            region=certificate.region,
            battery=battery,
            organisation=certificate.dismantler,
            message=f"certificate {record.number} for {certificate.vin}: {notes[0]}"[:300],
        )
    audit_log(
        actor=actor, action="recycled_certificate.record", obj=record, changes={"code": code, "notes": notes}
    )
    return record
