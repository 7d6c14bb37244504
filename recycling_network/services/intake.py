"""Intake at a service point (R-NET, R-LIFE): one pack or a spreadsheet of them, each a custody change."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from PIL import Image, UnidentifiedImageError

from accounts.actors import platform_actor
from accounts.models import Organisation, User
from core.audit import audit_log
from traceability import codes as trace_codes
from traceability import selectors as trace_selectors
from traceability import services as trace
from traceability.codes import normalise as normalise_code
from traceability.lifecycle import EventKind, State

from ..choices import (
    AlertKind,
    Condition,
    ItemStatus,
    PointStatus,
    SourceKind,
)
from ..models import (
    Intake,
    NetworkAlert,
    ServicePoint,
    StockEntry,
    TransferItem,
)
from .common import (
    CustodyConflict,
    NetworkError,
    require_operator,
)

if TYPE_CHECKING:
    from traceability.models import Battery


@dataclass(frozen=True)
class IntakeResult:
    intake: Intake
    unregistered: bool


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


def require_mass(mass_kg: Decimal | None) -> None:
    """A pack's mass as weighed at intake: a finite number of kilograms above 0 that its column can hold."""
    if mass_kg is None:
        return
    field = Intake._meta.get_field("mass_kg")
    limit = Decimal(10) ** (field.max_digits - field.decimal_places)  # type: ignore[operator]  # a DecimalField
    if not Decimal(mass_kg).is_finite() or not 0 < mass_kg < limit:
        raise NetworkError(
            f"mass_kg must be a number of kilograms above 0 and below {limit:,}", field="mass_kg"
        )


def _parse_mass(text: str) -> Decimal | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except ArithmeticError as exc:
        raise NetworkError(
            f"mass_kg {text[:20]!r} is not a number of kilograms (e.g. 312.5)", field="mass_kg"
        ) from exc


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
    operator = require_operator(actor=actor, point=point)
    if point.status != PointStatus.PUBLISHED:
        raise NetworkError(
            f"{point.code} is {point.status}; only a published point takes packs in", field="point"
        )
    if source_kind not in SourceKind.values:
        raise NetworkError(f"unknown source {source_kind!r}", field="source_kind")
    if condition not in Condition.values:
        raise NetworkError(f"unknown condition {condition!r}", field="condition")
    code = require_code_shape(normalise_code(code))
    require_mass(mass_kg)
    if photo:
        require_photo(photo)
    received_at = received_at or timezone.now()
    if received_at > timezone.now():
        raise NetworkError("the receipt time lies in the future", field="received_at")
    battery = trace_selectors.battery_by_code(code=code)
    if battery is None:
        battery = trace.battery_register_unknown(
            code=code, actor=platform_actor(operator), occurred_at=received_at
        )
    # A code no maker registered, or whose maker is not in the code registry (flagged): both are reported.
    unregistered = not battery.registered or battery.unregistered_maker
    _check_custody(battery, point)
    try:
        if battery.state == State.IN_VEHICLE:
            trace.event_record(
                battery=battery,
                kind=EventKind.REMOVED,
                actor=actor,
                on_behalf_of=operator,
                occurred_at=received_at,
                place=point.name_zh,
                place_ref=point.place_ref,
                region=point.region,
                payload={"reported_at_intake": True},
            )
        event = trace.event_record(
            battery=battery,
            kind=EventKind.RECEIVED,
            actor=actor,
            on_behalf_of=operator,
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
    require_operator(actor=actor, point=point)
    report = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        code = normalise_code(row.get("code", ""))
        line: dict[str, Any] = {"row": number, "code": code}
        try:
            received_at = _parse_datetime(row.get("received_at", ""))
            mass = _parse_mass(row.get("mass_kg", ""))
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
