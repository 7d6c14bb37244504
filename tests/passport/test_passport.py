"""What a passport says: second life both ways, dynamic data, where to hand it in, ledger proofs; QR codes; bad
input and unknown codes (R-PUBLIC, R-CASCADE, R-VALUE, R-LIFE)."""

import io

import pytest
import zxingcpp
from PIL import Image

from accounts.actors import platform_actor
from tests.cascade_use.factories import assess, battery_maker, cascade_enterprise, held_pack
from tests.passport.offline import consistency_ok, head_signature_ok, inclusion_ok, leaf_hash
from tests.traceability.factories import register_pack
from tests.traceability.test_ledger_consistency import _rewrite_history
from traceability import services
from traceability.lifecycle import EventKind

pytestmark = pytest.mark.django_db


def _as(client_for, api_client, user, code, **params):
    client = client_for(user) if user else api_client
    return client.get(f"/api/v1/passports/{code}/", params)


def test_a_repurposed_product_links_to_its_original_and_back(api_client, life):
    product = api_client.get(f"/api/v1/passports/{life['product'].code}/").json()
    assert product["status"] == "repurposed" and product["battery_category"] == "stationary"
    made = product["second_life"]["product"]
    assert made["code"] == life["product"].code
    assert made["enterprise"] == life["enterprise"].display_name
    assert made["scenario"] == "telecom_backup"
    (source,) = product["second_life"]["built_from"]
    assert source["code"] == life["pack"].code and source["passport"] == f"/id/{life['pack'].code}/"
    assert source["safety_assessment"]["verdict"] == "pass"

    original = api_client.get(source["passport"].replace("/id/", "/api/v1/passports/")).json()
    (went,) = original["second_life"]["built_into"]
    assert went["code"] == life["product"].code and went["scenario"] == "telecom_backup"
    assert original["second_life"]["safety_assessment"]["soh_pct"] == 75.0
    assert original["status"] == "repurposed"


def test_dynamic_data_comes_from_the_assessments(client_for, api_client, life):
    body = _as(client_for, api_client, life["holder"], life["pack"].code).json()
    sources = {t["source"] for t in body["timeline"]}
    assert sources == {"safety_assessment", "residual_value_assessment"}
    valued = next(t for t in body["timeline"] if t["source"] == "residual_value_assessment")
    assert valued["soh_pct"] is not None and valued["cycle_count"] is not None
    assert body["cycle_count"] == valued["cycle_count"]
    assert body["state_of_health"] == body["timeline"][-1]["soh_pct"]
    assert [t["date"] for t in body["timeline"]] == sorted(t["date"] for t in body["timeline"])


def test_a_failed_safety_assessment_is_a_negative_event(client_for, api_client, life):
    enterprise = cascade_enterprise()
    pack = held_pack(maker=battery_maker(code="03H"), holder=enterprise)
    assess(pack, enterprise, verdict="fail")
    body = _as(client_for, api_client, life["regulator"], pack.code).json()
    (negative,) = body["negative_events"]
    assert negative["reason"] == "safety assessment failed"
    assert body["status"] == "waste"


def test_custody_history_has_kinds_and_regions_but_no_names(client_for, api_client, life):
    body = _as(client_for, api_client, life["holder"], life["pack"].code).json()
    assert body["custody_history"]
    names = {life["enterprise"].display_name, life["maker"].display_name}
    text = str(body["custody_history"])
    assert not any(n in text for n in names)
    assert {"battery_maker"} in [set(e["actor_kinds"]) for e in body["custody_history"]]
    named = _as(client_for, api_client, life["regulator"], life["pack"].code).json()["custody_history_named"]
    assert names <= {e["actor"] for e in named}


def test_hand_in_point_is_the_nearest_published_one(api_client, life):
    body = api_client.get(f"/api/v1/passports/{life['pack'].code}/").json()
    assert body["hand_in_point"]["code"] == life["near"].code
    far = api_client.get(
        f"/api/v1/passports/{life['pack'].code}/", {"lat": life["far"].lat, "lon": life["far"].lon}
    ).json()
    assert far["hand_in_point"]["code"] == life["far"].code


@pytest.mark.parametrize("who", ["holder", "regulator"])
def test_every_event_shown_carries_an_inclusion_proof_that_verifies_offline(
    client_for, api_client, life, who
):
    body = _as(client_for, api_client, life[who], life["pack"].code).json()
    proofs = body["ledger_proofs"]
    shown = [e["event_id"] for e in body["custody_history"]]
    assert shown and sorted(map(int, proofs)) == sorted(shown)
    for event_id, proof in proofs.items():
        assert set(proof) == {"event_id", "leaf_index", "tree_size", "leaf_hash", "audit_path", "tree_head"}
        assert head_signature_ok(proof["tree_head"])
        leaf = bytes.fromhex(proof["leaf_hash"])
        if who == "regulator":  # the authority also gets the leaf bytes, and they hash to the leaf
            leaf = leaf_hash(body["ledger_leaf_data"][event_id])
            assert leaf.hex() == proof["leaf_hash"]
        assert inclusion_ok(leaf, proof["leaf_index"], proof["tree_size"], proof["audit_path"],
                            proof["tree_head"]["root_hash"])  # fmt: skip
        assert not inclusion_ok(leaf, proof["leaf_index"] + 1, proof["tree_size"], proof["audit_path"],
                                proof["tree_head"]["root_hash"])  # fmt: skip


def test_proofs_match_the_ledger_proof_endpoint(client_for, api_client, life):
    body = _as(client_for, api_client, life["regulator"], life["pack"].code).json()
    event_id, proof = next(iter(body["ledger_proofs"].items()))
    direct = client_for(life["regulator"]).get(f"/api/v1/ledger/proof/{event_id}/").json()
    assert {**proof, "leaf_data": body["ledger_leaf_data"][event_id]} == direct


def test_a_rewritten_history_fails_the_passport_proofs(client_for, api_client, life):
    held = _as(client_for, api_client, life["regulator"], life["pack"].code).json()
    victim = str(held["custody_history"][0]["event_id"])
    _rewrite_history(int(victim))
    fresh = _as(client_for, api_client, life["regulator"], life["pack"].code).json()
    proof = fresh["ledger_proofs"][victim]
    assert not inclusion_ok(leaf_hash(held["ledger_leaf_data"][victim]), proof["leaf_index"], proof["tree_size"],
                            proof["audit_path"], proof["tree_head"]["root_hash"])  # fmt: skip


def test_a_passports_head_is_proved_extended_and_a_rewritten_history_fails(client_for, api_client, life):
    """A holder of an old passport keeps its signed head; later the log has grown and the consistency proof
    (RFC 9162 §2.1.4) from that head to the new one verifies with the independent verifier, until the history
    is rewritten."""

    held = _as(client_for, api_client, life["regulator"], life["pack"].code).json()
    old = held["ledger_head"]
    assert head_signature_ok(old)
    register_pack(life["maker"])  # the log grows
    new = _as(client_for, api_client, None, life["pack"].code).json()["ledger_head"]
    assert new["tree_size"] > old["tree_size"] and head_signature_ok(new)
    body = api_client.get(
        "/api/v1/ledger/consistency/", {"first": old["tree_size"], "second": new["tree_size"]}
    ).json()
    assert body["first_tree_head"]["root_hash"] == old["root_hash"]
    assert consistency_ok(body["first"], body["second"], old["root_hash"], new["root_hash"],
                          body["consistency_path"])  # fmt: skip
    assert not consistency_ok(body["first"], body["second"], new["root_hash"], new["root_hash"],
                              body["consistency_path"])  # fmt: skip

    _rewrite_history(held["custody_history"][0]["event_id"])
    again = _as(client_for, api_client, None, life["pack"].code).json()["ledger_head"]
    body = api_client.get(
        "/api/v1/ledger/consistency/", {"first": old["tree_size"], "second": again["tree_size"]}
    ).json()
    assert head_signature_ok(body["second_tree_head"])  # the rewritten log signs its own heads
    assert not consistency_ok(body["first"], body["second"], old["root_hash"], again["root_hash"],
                              body["consistency_path"])  # fmt: skip


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_the_qr_code_decodes_to_the_passport_url(client, life, kind):
    code = life["pack"].code
    response = client.get(f"/id/{code}/qr.{kind}")
    assert response.status_code == 200
    if kind == "svg":
        assert response["Content-Type"] == "image/svg+xml" and b"<svg" in response.content
        return
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.text == f"http://testserver/id/{code}/"


def test_the_label_and_the_battery_page_offer_the_qr_code(client, life):
    code = life["pack"].code
    label = client.get(f"/id/{code}/label/").content.decode()
    assert "size: 50mm 30mm" in label and f"/id/{code}/qr.svg" in label
    client.force_login(life["regulator"])
    page = client.get(f"/batteries/{code}/").content.decode()
    assert f"/id/{code}/label/" in page and f"/id/{code}/qr.png" in page


def test_a_module_and_a_cell_have_passports_too(api_client, make_org):
    pack = register_pack(make_org(kinds=["battery_maker"]), modules=1, cells=1)
    body = api_client.get(f"/api/v1/passports/{pack.code}/").json()
    module, cell = body["components"]
    assert api_client.get(f"/api/v1/passports/{module}/").json()["level"] == "M"
    assert api_client.get(f"/api/v1/passports/{cell}/").json()["parent"] == module


@pytest.mark.parametrize(
    "code", ["NOPE", "0A1PE01AB12345A56000000X9", "<script>alert(1)</script>", "x" * 300, "' OR 1=1 --"]
)
def test_unknown_or_hostile_codes_are_404(api_client, client, code):
    assert api_client.get(f"/api/v1/passports/{code}/").status_code == 404
    assert client.get(f"/id/{code}/").status_code == 404
    assert client.get(f"/id/{code}/qr.png").status_code == 404


@pytest.mark.parametrize(("params", "field"), [({"lat": "abc", "lon": "1"}, "lat"), ({"lat": "1"}, "lon"),
                                               ({"lat": "91", "lon": "1"}, "lat"),
                                               ({"lat": "1", "lon": "-181"}, "lon")])  # fmt: skip
def test_a_bad_position_is_refused_naming_the_field(api_client, life, params, field):
    response = api_client.get(f"/api/v1/passports/{life['pack'].code}/", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_the_page_shows_only_the_callers_class(client, life):
    page = client.get(f"/id/{life['pack'].code}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-class="public"' in html
    assert 'id="li-fields"' not in html and 'id="authority-fields"' not in html
    client.force_login(life["holder"])
    html = client.get(f"/id/{life['pack'].code}/").content.decode()
    assert 'data-class="legitimate_interest"' in html and 'id="li-fields"' in html
    assert 'id="authority-fields"' not in html


def test_a_passport_reads_a_bounded_number_of_queries(client_for, life, django_assert_max_num_queries):
    """However long the history, a passport is a fixed set of reads (no query per event or per proof)."""

    client = client_for(life["regulator"])
    code = life["product"].code
    with django_assert_max_num_queries(40) as first:
        client.get(f"/api/v1/passports/{code}/")
    for _ in range(5):
        services.event_record(
            battery=life["product"],
            kind=EventKind.ASSESSED,
            actor=platform_actor(life["enterprise"]),
            occurred_at=life["product"].created_at,
            payload={"note": "routine check"},
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        body = client.get(f"/api/v1/passports/{code}/").json()
    assert len(body["custody_history"]) >= 6 and len(body["ledger_proofs"]) == len(body["custody_history"])
