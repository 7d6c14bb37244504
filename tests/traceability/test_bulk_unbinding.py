"""Packs leaving their vehicles in one bulk write (R-BIND, R-LIFE): each binding closes at its own event's time,
and a pack that would leave before it went in refuses the whole write."""

from datetime import datetime

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from tests.factories import OrganisationFactory
from tests.recycling_network.factories import make_vehicle_with_pack
from traceability.models import Binding, LifecycleEvent
from traceability.services import TraceabilityError, events_upload


def at(y, m, d, h=10):
    return timezone.make_aware(datetime(y, m, d, h))


@pytest.fixture
def automaker(db):
    return OrganisationFactory(kinds=["automaker"], region="BJ")


def removal(pack, when):
    return {"battery_code": pack.code, "kind": "removed", "occurred_at": when.isoformat()}


@pytest.mark.django_db
def test_each_binding_closes_at_its_own_time(automaker):
    packs = [make_vehicle_with_pack(automaker=automaker)[1] for _ in range(3)]
    times = [at(2025, 3, 1), at(2025, 4, 2), at(2025, 3, 1)]
    results = events_upload(
        items=[removal(p, t) for p, t in zip(packs, times, strict=True)], actor=platform_actor(automaker)
    )
    assert [r["status"] for r in results] == ["created"] * 3
    for pack, when in zip(packs, times, strict=True):
        binding = Binding.objects.get(pack=pack)
        assert binding.unbound_at == when and binding.unbound_reason == "removed"


@pytest.mark.django_db
def test_leaving_before_going_in_refuses_the_whole_write(automaker):
    first = make_vehicle_with_pack(automaker=automaker)[1]
    second = make_vehicle_with_pack(automaker=automaker)[1]
    Binding.objects.filter(pack=second).update(bound_at=at(2025, 6, 1))
    events = LifecycleEvent.objects.count()
    with pytest.raises(TraceabilityError) as refused:
        events_upload(
            items=[removal(first, at(2025, 3, 1)), removal(second, at(2025, 5, 1))],
            actor=platform_actor(automaker),
        )
    assert refused.value.field == "occurred_at"
    assert LifecycleEvent.objects.count() == events
    assert Binding.objects.filter(pack__in=[first, second], unbound_at__isnull=True).count() == 2
