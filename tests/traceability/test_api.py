import pytest
from django.test import override_settings

from .factories import make_code, make_vin, register_pack

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_org, make_user):
    maker = make_org(kinds=["battery_maker"])
    a = make_org(kinds=["automaker"], region="BJ")
    b = make_org(kinds=["automaker"], region="TJ")
    return {
        "maker": maker,
        "a": a,
        "b": b,
        "maker_user": make_user(maker),
        "a_user": make_user(a),
        "b_user": make_user(b),
    }


def test_code_decoder_is_public_and_names_the_field(api_client):
    ok = api_client.get("/api/v1/codes/0A1MA57F2SBX7K6280906916/")
    assert ok.status_code == 200 and ok.json()["production_date"] == "2016-02-08"
    bad = api_client.get("/api/v1/codes/0A1PB66T4YT1T7E0H4679863/")
    assert bad.status_code == 400
    assert list(bad.json()["error"]["fields"]) == ["production_date"]


def test_battery_maker_registers_packs_with_children(world, client_for):
    client = client_for(world["maker_user"])
    pack, module, cell = make_code("P"), make_code("M"), make_code("C")
    body = {"items": [
        {"code": pack, "rated_energy_kwh": "60.5", "customer_uscc": world["a"].uscc,
         "children": [{"code": module, "children": [{"code": cell}]}]},
        {"code": "0A1XB12ABCDEFGE350000001"},
    ]}  # fmt: skip
    r = client.post("/api/v1/batteries/", body, format="json")
    assert r.status_code == 200
    assert [x["status"] for x in r.json()["results"]] == ["created", "error"]
    assert "product_type" in r.json()["results"][1]["errors"]["code"][0] or r.json()["results"][1]["errors"]
    again = client.post("/api/v1/batteries/", {"items": body["items"][:1]}, format="json")
    assert again.json()["results"][0]["status"] == "unchanged"
    trace = client_for(world["maker_user"]).get(f"/api/v1/batteries/{pack}/trace/").json()
    assert trace["children"][0]["children"][0]["code"] == cell
    # An automaker may not register produced codes.
    assert client_for(world["a_user"]).post("/api/v1/batteries/", body, format="json").status_code == 403


def test_bindings_mixed_batch_keeps_good_items(world, client_for):
    packs = [register_pack(world["maker"], customer=world["a"]) for _ in range(3)]
    vins = [make_vin() for _ in range(3)]
    items = [
        {"vin": vins[0], "pack_code": packs[0].code, "sold_at": "2024-05-01"},
        {"vin": "LNB0MVBU9U6NC310X", "pack_code": packs[1].code, "sold_at": "2024-05-01"},
        {"vin": vins[2], "pack_code": packs[2].code, "sold_at": "2099-01-01"},
        {"vin": vins[1], "pack_code": packs[1].code, "sold_at": "2024-05-02"},
    ]
    client = client_for(world["a_user"])
    r = client.post("/api/v1/bindings/", {"items": items}, format="json").json()
    assert [x["status"] for x in r["results"]] == ["created", "error", "error", "created"]
    assert "vin" in r["results"][1]["errors"] and "sold_at" in r["results"][2]["errors"]
    assert r["summary"] == {"total": 4, "created": 2, "unchanged": 0, "error": 2}
    replay = client.post("/api/v1/bindings/", {"items": items[:1]}, format="json").json()
    assert replay["results"][0]["status"] == "unchanged"
    vehicle = client.get(f"/api/v1/vehicles/{vins[0]}/").json()
    assert vehicle["current_packs"][0]["pack_code"] == packs[0].code


def test_idempotency_key_returns_the_first_answer(world, client_for):
    pack = register_pack(world["maker"], customer=world["a"])
    client = client_for(world["a_user"])
    body = {"items": [{"vin": make_vin(), "pack_code": pack.code, "sold_at": "2024-05-01"}]}
    first = client.post("/api/v1/bindings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = client.post("/api/v1/bindings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.json() == second.json() and second.json()["results"][0]["status"] == "created"
    assert second.headers.get("Idempotent-Replay") == "true"


def test_malformed_and_oversized_envelopes(world, client_for):
    client = client_for(world["a_user"])
    bad = client.post("/api/v1/bindings/", {"pairs": []}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["status"] == 400
    with override_settings(BULK_MAX_ITEMS=2):
        big = client.post("/api/v1/bindings/", {"items": [{}] * 3}, format="json")
    assert big.status_code == 413 and "error" in big.json()


def test_automaker_cannot_bind_another_automakers_pack(world, client_for):
    pack = register_pack(world["maker"], customer=world["b"])  # sold to automaker B
    r = (
        client_for(world["a_user"])
        .post(
            "/api/v1/bindings/",
            {"items": [{"vin": make_vin(), "pack_code": pack.code, "sold_at": "2024-05-01"}]},
            format="json",
        )
        .json()
    )
    assert r["results"][0]["status"] == "error"
    assert r["results"][0]["errors"]["pack_code"] == ["no pack with this code is available to you"]


def test_automaker_cannot_read_another_automakers_vehicle(world, client_for):
    pack = register_pack(world["maker"], customer=world["b"])
    vin = make_vin()
    client_for(world["b_user"]).post(
        "/api/v1/bindings/",
        {"items": [{"vin": vin, "pack_code": pack.code, "sold_at": "2024-05-01"}]},
        format="json",
    )
    assert client_for(world["b_user"]).get(f"/api/v1/vehicles/{vin}/").status_code == 200
    assert client_for(world["a_user"]).get(f"/api/v1/vehicles/{vin}/").status_code == 404
    # A VIN typed in lower case finds the same vehicle (one normalisation, traceability.vin).
    assert client_for(world["b_user"]).get(f"/api/v1/vehicles/{vin.lower()}/").status_code == 200
    assert client_for(world["a_user"]).get(f"/api/v1/batteries/{pack.code}/trace/").status_code == 404
    # The same VIN cannot be claimed by another automaker either.
    other = register_pack(world["maker"], customer=world["a"])
    r = (
        client_for(world["a_user"])
        .post(
            "/api/v1/bindings/",
            {"items": [{"vin": vin, "pack_code": other.code, "sold_at": "2024-05-01"}]},
            format="json",
        )
        .json()
    )
    assert "vin" in r["results"][0]["errors"]


def test_battery_maker_sees_its_own_batteries_only(world, client_for, make_org, make_user):
    mine = register_pack(world["maker"])
    other_maker = make_org(kinds=["battery_maker"])
    theirs = register_pack(other_maker)
    client = client_for(world["maker_user"])
    codes_listed = {b["code"] for b in client.get("/api/v1/batteries/").json()["results"]}
    assert mine.code in codes_listed and theirs.code not in codes_listed
    assert client.get(f"/api/v1/batteries/{theirs.code}/").status_code == 404


def test_generic_events_and_ledger_endpoints(world, client_for, make_org, make_user, api_client):
    point = make_org(kinds=["service_operator"])
    pack = register_pack(world["maker"])
    client = client_for(make_user(point))
    released = client_for(world["maker_user"]).post("/api/v1/events/", {"items": [
        {"battery_code": pack.code, "kind": "handed_over", "occurred_at": "2025-01-02", "to_uscc": point.uscc}
    ]}, format="json").json()  # fmt: skip
    assert released["results"][0]["status"] == "created"
    items = [
        {"battery_code": pack.code, "kind": "received", "occurred_at": "2025-01-02"},
        {"battery_code": pack.code, "kind": "stored", "occurred_at": "2025-01-03"},
        {"battery_code": pack.code, "kind": "bound", "occurred_at": "2025-01-03"},
        {"battery_code": pack.code, "kind": "materials_recovered", "occurred_at": "2025-01-03"},
    ]
    r = client.post("/api/v1/events/", {"items": items}, format="json").json()
    assert [x["status"] for x in r["results"]] == ["created", "created", "error", "error"]
    head = api_client.get("/api/v1/ledger/head/").json()
    assert head["tree_size"] >= 3 and head["algorithm"] in {"ed25519", "hmac-sha256"}
    event_id = r["results"][1]["event_id"]
    proof = client.get(f"/api/v1/ledger/proof/{event_id}/")
    assert proof.status_code == 200 and proof.json()["tree_size"] == head["tree_size"]
    stranger = client_for(world["a_user"]).get(f"/api/v1/ledger/proof/{event_id}/")
    assert stranger.status_code == 404
