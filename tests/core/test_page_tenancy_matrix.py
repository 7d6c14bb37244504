"""The role x page tenancy matrix (R-TENANT): every page that shows one record, as two tenants of every
enterprise kind and as the regulators of Beijing and Tianjin, over the demo world. A page answered with 200 for
a record the caller may not read under ``core.tenancy`` is a leak; each failure names the request.

The API has its own matrix (``test_tenancy_matrix``); pages are other views over the same rules, and a page
that looked a record up without them would show it whatever the API says. Public pages (a published service
point, a battery's public passport) are left out: anyone may read them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.choices import EnterpriseKind
from accounts.management.commands.seed_demo import DEMO_APPS
from accounts.models import Organisation
from alliance.models import Lot
from cascade_use.models import RepurposedProduct
from core import tenancy
from core.demo import DemoWorld
from recycling_network.models import ServicePoint, Transfer
from regeneration.models import Batch
from tests.factories import OrganisationFactory, UserFactory
from traceability.models import Battery, LifecycleEvent, Vehicle
from valuation.models import ValuationJob

pytestmark = [pytest.mark.django_db, pytest.mark.sweep]

SAMPLES = 2  # records per (page, caller) that the caller may not read


@dataclass(frozen=True)
class Page:
    url: str  # with {} where the record's key goes
    model: type
    key: str  # the attribute the URL names


PAGES = [
    Page("/batteries/{}/", Battery, "code"),
    Page("/batteries/{}/disassembly/", Battery, "code"),
    Page("/vehicles/{}/", Vehicle, "vin"),
    Page("/ledger/events/{}/proof/", LifecycleEvent, "pk"),
    Page("/telemetry/vehicles/{}/", Vehicle, "vin"),
    Page("/telemetry/batteries/{}/", Battery, "code"),
    Page("/valuation/batteries/{}/", Battery, "code"),
    Page("/valuation/jobs/{}/", ValuationJob, "pk"),
    Page("/cascade/assess/{}/", Battery, "code"),
    Page("/cascade/products/{}/", RepurposedProduct, "pk"),
    Page("/regeneration/batches/{}/", Batch, "pk"),
    Page("/alliance/lots/{}/", Lot, "pk"),
    Page("/network/points/{}/stock/", ServicePoint, "pk"),
    Page("/network/points/{}/requests/", ServicePoint, "pk"),
    Page("/network/transfers/{}/", Transfer, "pk"),
]


@pytest.fixture
def callers(db) -> list[tuple[str, object, Client]]:
    world = DemoWorld()
    for app in DEMO_APPS:
        importlib.import_module(f"{app}.demo").seed(world)
    users = []
    for kind, _ in EnterpriseKind.choices:
        for org in Organisation.objects.filter(kinds__contains=[kind]).order_by("pk")[:1]:
            users.append((f"{kind}:{org.name_en}", UserFactory(organisation=org)))
        users.append(
            (f"{kind}:fresh", UserFactory(organisation=OrganisationFactory(kinds=[kind], region="HB")))
        )
    for region in ("BJ", "TJ"):
        regulator = Organisation.objects.filter(is_regulator=True, region=region).order_by("pk").first()
        users.append((f"regulator:{region}", UserFactory(organisation=regulator)))
    found = []
    for label, user in users:
        client = Client()
        client.force_login(user)
        found.append((label, user, client))
    return found


def test_no_page_shows_a_record_its_reader_may_not_read(callers):
    leaks: list[str] = []
    refused = opened = 0
    for label, user, client in callers:
        for page in PAGES:
            manager = page.model._default_manager
            readable = tenancy.visible(manager.all(), user)
            hidden = manager.exclude(pk__in=readable.values("pk")).order_by("pk")[:SAMPLES]
            for row in hidden:
                url = page.url.format(getattr(row, page.key))
                status = client.get(url).status_code
                refused += status in (403, 404)
                if status == 200:
                    leaks.append(
                        f"{label}: GET {url} answered 200 for a {page.model.__name__} it may not read"
                    )
            own = readable.order_by("pk").first()
            if own is not None:
                opened += client.get(page.url.format(getattr(own, page.key))).status_code == 200
    # Both sides must have been looked at, or the sweep proves nothing.
    assert refused > 100 and opened > 30, (refused, opened)
    assert not leaks, "\n".join(leaks)
