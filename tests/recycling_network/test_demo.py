"""The demo network: published points for every demo automaker (some co-built), a hub, mobile stations, and
custody moved only through lifecycle events."""

import pytest

import accounts.demo
import recycling_network.demo
from core.demo import DemoWorld
from recycling_network.models import NetworkAlert, ServicePoint, StockEntry, Transfer
from recycling_network.selectors import compliance_point_coverage
from traceability.models import LifecycleEvent


@pytest.fixture
def world(db):
    world = DemoWorld()
    accounts.demo.seed(world)
    recycling_network.demo.seed(world)
    return world


@pytest.mark.django_db
def test_demo_network_covers_every_automaker(world):
    published = ServicePoint.objects.filter(status="published")
    for automaker in world.of_kind("automaker"):
        assert published.filter(automakers=automaker).exists(), automaker
    assert published.filter(kind="hub").count() == 1
    assert published.filter(kind="mobile").count() >= 2
    co_built = [p for p in published.prefetch_related("automakers") if p.automakers.count() > 1]
    assert len(co_built) >= 3
    assert ServicePoint.objects.filter(status="submitted").exists()
    coverage = {r["automaker_id"]: r for r in compliance_point_coverage()}
    assert sum(r["compliant"] for r in coverage.values()) >= len(coverage) - 1


@pytest.mark.django_db
def test_demo_custody_flows_through_events(world):
    assert Transfer.objects.filter(status="in_transit").exists()
    assert NetworkAlert.objects.filter(kind="missing_in_transit").count() == 1
    assert NetworkAlert.objects.filter(kind="unregistered_code").count() == 2
    for kind in ("received", "dispatched", "cascade_received", "regeneration_received", "lost"):
        assert LifecycleEvent.objects.filter(kind=kind).exists(), kind
    receivers = set(Transfer.objects.filter(to_point__isnull=True).values_list("receiver", flat=True))
    assert {world.orgs[k].pk for k in ("cascade-bj", "cascade-hb", "regen-tj")} <= receivers
    for entry in StockEntry.objects.select_related("battery", "point"):
        assert entry.battery.custodian_id == entry.point.operator_id
        assert entry.battery.state == "at_service_point"
