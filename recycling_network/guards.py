"""The scrapped-vehicle relation for the traceability core's authority (R-SCRAP; 第十三条): a dismantler takes a
pack out of a vehicle only while it holds a scrap certificate (《报废汽车回收证明》) for that VIN."""

from __future__ import annotations

from traceability import selectors as trace
from traceability.lifecycle import EventKind

from .models import ScrapCertificate


def scrap_relation(actor, specs) -> set[int]:

    wanted = {i: s.battery.pk for i, s in enumerate(specs) if s.kind == EventKind.REMOVED}
    if not wanted or not actor.has_kind("dismantler"):
        return set()
    vehicle_of = trace.vehicles_carrying(pack_ids=wanted.values())
    certified = set(
        ScrapCertificate.objects.filter(
            dismantler=actor, vehicle_id__in=set(vehicle_of.values())
        ).values_list("vehicle_id", flat=True)
    )
    return {i for i, pk in wanted.items() if vehicle_of.get(pk) in certified}
