"""Service points (R-NET, R-PUBLIC): registration, updates, review, and change requests for co-built points."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from accounts.actors import acting_organisation
from accounts.models import Organisation, User
from core import tenancy
from core.audit import audit_log
from core.errors import Forbidden, NotFound

from ..choices import (
    ChangeRequestKind,
    ChangeRequestStatus,
    PointStatus,
)
from ..geo import gcj02_to_wgs84, out_of_china
from ..models import (
    Division,
    PointChangeRequest,
    PointReview,
    ServicePoint,
)
from ..workflow import OWNER, REGULATOR, IllegalReview, review_step
from .common import (
    NetworkError,
)

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
    # A platform administrator registers for the organisation it acts for, whatever its kind.
    org = acting_organisation(actor) if actor.is_superuser else acting_organisation(actor, "automaker")
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
    if not changes:
        return point  # nothing differs: nothing is written, not even the time of a change
    public = PUBLIC_POINT_FIELDS & set(changes)
    if public and point.status == PointStatus.PUBLISHED and not tenancy.scope_of(actor).regulator:
        changes["status"] = [point.status, PointStatus.SUBMITTED]
        point.status = PointStatus.SUBMITTED
    point.updated_at = timezone.now()
    point.save()
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
    org = acting_organisation(actor)
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
