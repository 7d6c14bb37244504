"""Regeneration pages: intake queue, licence usage, batch forms for both stages, yearly balance."""

from decimal import Decimal

import pytest
from django.test import Client

from regeneration.models import Batch, ThresholdEdition
from tests.cascade_use.factories import battery_maker, held_pack, licence, regeneration_enterprise
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_daily_pages_and_the_two_stage_forms():
    regen = regeneration_enterprise()
    licence(regen)
    handed = held_pack(maker=battery_maker(), holder=regen, kind="received")
    packs = [
        held_pack(maker=battery_maker(), holder=regen, kind="regeneration_received", mass_kg=Decimal(300))
        for _ in range(2)
    ]
    web = Client()
    web.force_login(UserFactory(organisation=regen))
    home = web.get("/regeneration/").content.decode()
    assert handed.code in home and "1000" in home
    r = web.post("/regeneration/batches/new/", {"reference": "B-1", "started_at": "2026-02-01T08:00",
                 "edition": "", "inputs": [p.code for p in packs]})  # fmt: skip
    assert r.status_code == 200  # edition is required

    r = web.post(
        "/regeneration/batches/new/",
        {
            "reference": "B-1",
            "started_at": "2026-02-01T08:00",
            "edition": ThresholdEdition.objects.get(code="2024").pk,
            "inputs": [p.code for p in packs],
        },
    )
    batch = Batch.objects.get(reference="B-1")
    assert r.status_code == 302
    r = web.post(f"/regeneration/batches/{batch.pk}/", {"stage1": "1", "finished_at": "2026-02-02T08:00",
                 "out_black_mass": "400", "out_casing": "250"})  # fmt: skip
    assert r.status_code == 200 and "more than the 600.00 kg of input packs" in r.content.decode()
    r = web.post(f"/regeneration/batches/{batch.pk}/", {"stage1": "1", "finished_at": "2026-02-02T08:00",
                 "out_black_mass": "300", "out_casing": "290"})  # fmt: skip
    assert r.status_code == 302
    data = {
        "stage2": "1",
        "finished_at": "2026-02-03T08:00",
        "Li_route": "wet",
        "Li_feed": "10",
        "Li_recovered": "8.6",
    }
    for el in ("Ni", "Co", "Mn", "Cu", "Al"):
        data[f"{el}_route"] = "wet"
    assert web.post(f"/regeneration/batches/{batch.pk}/", data).status_code == 302
    batch.refresh_from_db()
    assert batch.status == "recovered" and batch.has_shortfall
    detail = web.get(f"/regeneration/batches/{batch.pk}/").content.decode()
    assert 'id="evaluation-2019"' in detail and 'id="evaluation-2024"' in detail
    assert web.get("/regeneration/balance/?year=2026").status_code == 200
    assert web.get("/regeneration/licences/").status_code == 200
    assert web.get("/regeneration/batches/?export=xlsx").status_code == 200
    # another regenerator gets a 404 on the batch page
    other = Client()
    other.force_login(UserFactory(organisation=regeneration_enterprise()))
    assert other.get(f"/regeneration/batches/{batch.pk}/").status_code == 404
