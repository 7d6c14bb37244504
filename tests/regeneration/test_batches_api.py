"""Two-stage batches over the API: inputs, stage 1 outputs, stage 2 recovery, flags and tenancy (R-REGEN)."""

from decimal import Decimal

import pytest

from core.errors import Forbidden
from regeneration.models import Batch
from regeneration.services import batch_stage1_record
from tests.cascade_use.factories import battery_maker, held_pack, licence, regeneration_enterprise
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client_for):
    regen = regeneration_enterprise()
    licence(regen)
    maker = battery_maker()
    packs = [
        held_pack(maker=maker, holder=regen, kind="regeneration_received", mass_kg=Decimal(300))
        for _ in range(2)
    ]
    user = UserFactory(organisation=regen)
    return {"regen": regen, "packs": packs, "api": client_for(user)}


def open_batch(world, **extra):
    body = {
        "reference": "B-2026-001",
        "started_at": "2026-01-05T08:00:00+08:00",
        "edition": "2024",
        "inputs": [{"code": p.code} for p in world["packs"]],
        "powder_content_kg": "250",
        **extra,
    }
    return world["api"].post("/api/v1/regeneration/batches/", body, format="json")


STAGE1 = {
    "finished_at": "2026-01-06T08:00:00+08:00",
    "outputs": [
        {"kind": "black_mass", "mass_kg": "245", "cu_impurity_pct": "0.9", "al_impurity_pct": "1.1"},
        {"kind": "casing", "mass_kg": "200"},
        {"kind": "copper_foil", "mass_kg": "60"},
        {"kind": "aluminium_foil", "mass_kg": "40"},
        {"kind": "electrolyte", "mass_kg": "45"},
    ],
}


def test_outputs_exceeding_inputs_are_rejected(world):
    batch = open_batch(world).json()
    assert batch["input_kg"] == "600.00"
    too_much = {**STAGE1, "outputs": [*STAGE1["outputs"], {"kind": "residue", "mass_kg": "20"}]}
    r = world["api"].post(f"/api/v1/regeneration/batches/{batch['id']}/stage1/", too_much, format="json")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "outputs_exceed_inputs"
    assert "610.00 kg, more than the 600.00 kg" in r.json()["error"]["message"]
    assert Batch.objects.get(pk=batch["id"]).status == "open"


def test_two_stages_write_events_and_flag_shortfalls(world):
    batch = open_batch(world).json()
    r = world["api"].post(f"/api/v1/regeneration/batches/{batch['id']}/stage1/", STAGE1, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "dismantled" and not r.json()["has_unexplained_mass"]
    for p in world["packs"]:
        p.refresh_from_db()
        assert p.state == "dismantled"
    stage2 = {
        "finished_at": "2026-01-08T08:00:00+08:00",
        "recoveries": [
            {
                "element": "Li",
                "route": "wet",
                "feed_kg": "10",
                "recovered_kg": "8.8",
                "product_form": "Li2CO3",
            },
            {"element": "Ni", "route": "wet", "feed_kg": "60", "recovered_kg": "59.2"},
            {"element": "Co", "route": "wet", "feed_kg": "20", "recovered_kg": "19.7"},
        ],
    }
    r = world["api"].post(f"/api/v1/regeneration/batches/{batch['id']}/stage2/", stage2, format="json")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["status"] == "recovered" and body["has_shortfall"]
    assert [f["metric"] for f in body["flags"]] == ["li"]  # 88 % < 90 % (2024)
    ev2019 = world["api"].get(f"/api/v1/regeneration/batches/{batch['id']}/evaluation/?edition=2019").json()
    assert ev2019["flags"] == []  # 88 % >= 85 % (2019)
    for p in world["packs"]:
        p.refresh_from_db()
        assert p.state == "recycled"
    year = world["api"].get("/api/v1/regeneration/balance/?year=2026").json()
    assert {f["metric"] for f in year["editions"]["2024"]["flags"]} == {"li"}


def test_recovered_above_feed_is_rejected(world):
    batch = open_batch(world).json()
    world["api"].post(f"/api/v1/regeneration/batches/{batch['id']}/stage1/", STAGE1, format="json")
    bad = {
        "finished_at": "2026-01-08T08:00:00+08:00",
        "recoveries": [{"element": "Li", "route": "wet", "feed_kg": "10", "recovered_kg": "11"}],
    }
    r = world["api"].post(f"/api/v1/regeneration/batches/{batch['id']}/stage2/", bad, format="json")
    assert r.status_code == 422 and r.json()["error"]["code"] == "outputs_exceed_inputs"


@pytest.mark.parametrize("impurity", [{"cu_impurity_pct": "150"}, {"al_impurity_pct": "-1"}])
def test_an_impurity_share_outside_0_to_100_percent_is_refused_naming_the_field(world, impurity):
    batch = open_batch(world).json()
    black_mass = {**STAGE1["outputs"][0], **impurity}
    body = {**STAGE1, "outputs": [black_mass, *STAGE1["outputs"][1:]]}
    r = world["api"].post(f"/api/v1/regeneration/batches/{batch['id']}/stage1/", body, format="json")
    assert r.status_code in (400, 422) and next(iter(impurity)) in r.content.decode()
    assert Batch.objects.get(pk=batch["id"]).status == "open"


@pytest.mark.parametrize("extra", [{"water_recycled_pct": "250"}, {"energy_kgce_per_t": "-3"}])
def test_stage_two_refuses_a_share_over_100_percent_or_a_negative_energy_use(world, extra):
    batch = open_batch(world).json()
    world["api"].post(f"/api/v1/regeneration/batches/{batch['id']}/stage1/", STAGE1, format="json")
    body = {
        "finished_at": "2026-01-08T08:00:00+08:00",
        "recoveries": [{"element": "Li", "route": "wet", "feed_kg": "10", "recovered_kg": "9.5"}],
        **extra,
    }
    r = world["api"].post(f"/api/v1/regeneration/batches/{batch['id']}/stage2/", body, format="json")
    assert r.status_code in (400, 422) and next(iter(extra)) in r.content.decode()
    assert Batch.objects.get(pk=batch["id"]).status == "dismantled"


def test_a_negative_powder_content_is_refused_naming_it(world):
    r = open_batch(world, powder_content_kg="-250")
    assert r.status_code in (400, 422) and "powder_content_kg" in r.content.decode()
    assert not Batch.objects.exists()


def test_another_regenerator_cannot_see_or_change_the_batch(world, client_for):
    batch = open_batch(world).json()
    stranger = client_for(UserFactory(organisation=regeneration_enterprise()))
    assert stranger.get(f"/api/v1/regeneration/batches/{batch['id']}/").status_code == 404
    assert (
        stranger.post(
            f"/api/v1/regeneration/batches/{batch['id']}/stage1/", STAGE1, format="json"
        ).status_code
        == 404
    )
    assert stranger.get("/api/v1/regeneration/batches/").json()["count"] == 0


def test_only_a_writer_of_the_batchs_enterprise_records_its_stages(world, client_for):
    batch = Batch.objects.get(pk=open_batch(world).json()["id"])
    outputs = STAGE1["outputs"]
    for outsider in (
        UserFactory(organisation=regeneration_enterprise()),
        UserFactory(organisation=world["regen"], role="viewer"),
    ):
        with pytest.raises(Forbidden, match="read-only"):
            batch_stage1_record(batch=batch, outputs=outputs, finished_at=batch.started_at, actor=outsider)
    viewer = client_for(UserFactory(organisation=world["regen"], role="viewer"))
    assert (
        viewer.post(f"/api/v1/regeneration/batches/{batch.pk}/stage1/", STAGE1, format="json").status_code
        == 403
    )
    assert Batch.objects.get(pk=batch.pk).status == "open"


def test_a_regulator_of_the_region_reads_a_batch_but_records_no_stage(world, make_regulator, client_for):
    """A regulator may change some records of its region; a batch's stages are the enterprise's own, and the
    service refuses them to a regulator whatever path calls it."""
    batch = Batch.objects.get(pk=open_batch(world).json()["id"])
    regulator = make_regulator(world["regen"].region)
    with pytest.raises(Forbidden) as err:
        batch_stage1_record(
            batch=batch, outputs=STAGE1["outputs"], finished_at=batch.started_at, actor=regulator
        )
    assert err.value.code == "actor.kind"
    api = client_for(regulator)
    assert api.get(f"/api/v1/regeneration/batches/{batch.pk}/").status_code == 200
    r = api.post(f"/api/v1/regeneration/batches/{batch.pk}/stage1/", STAGE1, format="json")
    assert r.status_code == 403
    assert Batch.objects.get(pk=batch.pk).status == "open"


def test_a_pack_of_another_enterprise_cannot_be_put_in_a_batch(world):
    stranger = regeneration_enterprise()
    licence(stranger)
    other = held_pack(maker=battery_maker(), holder=stranger, kind="regeneration_received")
    r = open_batch(world, inputs=[{"code": other.code}])
    assert r.status_code == 400 and "inputs" in r.json()["error"]["fields"]


def test_licence_registration_and_receipt_refusal_over_the_api(world):
    r = world["api"].post(
        "/api/v1/regeneration/licences/",
        {"number": "TJ-HW-0099", "issuing_authority": "TJ EEB", "categories": ["NOPE"], "annual_scale_t": "10",
         "valid_from": "2026-01-01", "valid_to": "2026-12-31"},
        format="json",
    )  # fmt: skip
    assert r.status_code == 422 and "unknown waste categories: NOPE" in r.json()["error"]["message"]
    listing = world["api"].get("/api/v1/regeneration/licences/").json()
    assert listing["count"] == 1 and listing["results"][0]["usage"]["cap_t"] == "1000.000"
