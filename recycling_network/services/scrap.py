"""Scrapped vehicles (R-SCRAP): the dismantler's certificate, the pack's removal, recycled certificates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.actors import acting_organisation
from accounts.models import Organisation, User
from core.audit import audit_log
from core.errors import Forbidden
from traceability import selectors as trace_selectors
from traceability import services as trace
from traceability.codes import normalise as normalise_code
from traceability.lifecycle import EventKind, State

from .. import scrapping
from ..choices import (
    AlertKind,
    CertificateCheck,
)
from ..models import (
    BatteryRecycledCertificate,
    NetworkAlert,
    PackRemoval,
    ScrapCertificate,
)
from .common import (
    CustodyConflict,
    NetworkError,
)

if TYPE_CHECKING:
    from traceability.models import Battery, Vehicle


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
    bindings = trace_selectors.vehicle_bindings(vehicle=vehicle)
    current = next((b for b in bindings if b.unbound_at is None), None)
    past = [b for b in bindings if b.unbound_at is not None]
    last_out = past[-1] if past and current is None else None
    # Where each pack that left got to afterwards: one query for all of them.
    reached = trace_selectors.arrivals_in_states(
        battery_ids={b.pack_id for b in past}, states=rules.accounted_states
    )
    accounted = set()
    for battery_id, occurred_at in reached:
        accounted |= {b.pack.code for b in past if b.pack_id == battery_id and occurred_at >= b.unbound_at}
    subject = named or (current.pack if current else (last_out.pack if last_out else None))
    consistent = False
    if recycled is not None:
        battery = trace_selectors.battery_by_code(code=normalise_code(recycled.battery_code))
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
        org = acting_organisation(actor, "dismantler")
    except Forbidden as exc:
        raise _scrap_refused(
            exc.message, field="actor", code="scrap.dismantler_only", http_status=403
        ) from exc
    rules = scrapping.rules()
    vehicle = trace_selectors.vehicle_locked_by_vin(vin=vin)
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
        named = trace_selectors.battery_by_code(code=normalise_code(pack_code))
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
    org = acting_organisation(actor)
    if certificate.dismantler_id != org.pk and not actor.is_superuser:
        raise Forbidden("only the dismantler that issued the certificate records the removal")
    battery = trace_selectors.battery_by_code(code=normalise_code(code))
    if battery is None:
        raise NetworkError(f"unknown pack code {code!r}", field="code")
    bound = trace_selectors.pack_bound_to(vehicle=certificate.vehicle, pack=battery, now=True)
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
            actor=actor,
            on_behalf_of=certificate.dismantler,
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
    if not trace_selectors.pack_bound_to(vehicle=vehicle, pack=battery):
        notes.append(f"{battery.code} was never bound to vehicle {vin}")
    reached = trace_selectors.battery_ever_held_by(battery=battery, org=recycled_by)
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
    org = acting_organisation(actor)
    if certificate.dismantler_id != org.pk and not actor.is_superuser:
        raise Forbidden("only the dismantler that issued the scrap certificate records this")
    if certificate.pack_present:
        raise NetworkError(
            "the vehicle arrived with its pack; record its removal instead", field="certificate"
        )
    code = normalise_code(battery_code)
    battery = trace_selectors.battery_by_code(code=code)
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
