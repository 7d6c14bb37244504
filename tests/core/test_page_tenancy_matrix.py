"""The role x page tenancy matrix (R-TENANT): every page that shows one record, as two tenants of every
enterprise kind and as the regulators of Beijing and Tianjin, over the demo world. A page answered with 200 for
a record the caller may not read under ``core.tenancy`` is a leak; each failure names the request.

The API has its own matrix (``test_tenancy_matrix``); pages are other views over the same rules, and a page
that looked a record up without them would show it whatever the API says. Public pages (a published service
point, a battery's public passport) are left out: anyone may read them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from alliance.models import Lot
from cascade_use.models import RepurposedProduct
from recycling_network.models import ServicePoint, Transfer
from regeneration.models import Batch
from tests.core.tenancy_sweep import DetailSweep, demo_users
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
    found = []
    for label, user in demo_users():
        client = Client()
        client.force_login(user)
        found.append((label, user, client))
    return found


def test_no_page_shows_a_record_its_reader_may_not_read(callers):
    sweep = DetailSweep(samples=SAMPLES)
    for label, user, client in callers:
        for page in PAGES:
            sweep.check(label=label, client=client, user=user, model=page.model,
                        url_of=lambda row, page=page: page.url.format(getattr(row, page.key)))  # fmt: skip
    # Both sides must have been looked at, or the sweep proves nothing.
    assert sweep.refused > 100 and sweep.opened > 30, (sweep.refused, sweep.opened)
    assert not sweep.leaks, "\n".join(sweep.leaks)
