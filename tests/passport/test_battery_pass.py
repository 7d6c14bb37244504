"""The EU Battery Pass export validates against our subset of the BatteryPassDataModel 1.2 schemas (jsonschema),
for every pack and every caller class; nothing the schemas do not name is emitted; the digital-ID view of the
2026 measures carries a firmness mark on each field."""

import json
from functools import cache
from pathlib import Path

import jsonschema
import pytest

from passport import battery_pass
from tests.traceability.factories import register_pack
from traceability.models import Battery

pytestmark = pytest.mark.django_db
SCHEMAS = Path(battery_pass.__file__).resolve().parent / "schemas"


def _schema(module: str) -> dict:
    return json.loads((SCHEMAS / f"{module}-subset-schema.json").read_text(encoding="utf-8"))


@cache
def _validator(module: str) -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(_schema(module))


def _check(module: str, document: dict, passport: dict) -> list[str]:
    """Validate; the only errors accepted are required attributes the platform does not hold, or holds but not
    for this battery or this caller. Returns the missing attributes."""
    validator = _validator(module)
    missing = []
    for error in validator.iter_errors(document):
        if error.validator == "required":
            name = error.message.split("'")[1]
            source = battery_pass.SOURCE.get(name)
            if name in battery_pass.NOT_HELD[module] or (source and passport.get(source) in (None, [])):
                missing.append(name)
                continue
        raise AssertionError(f"{module}: {error.message} at {list(error.absolute_path)}")
    return missing


def _demo_packs(life):
    return list(Battery.objects.filter(level="P").order_by("code"))


@pytest.mark.parametrize("who", ["anonymous", "holder", "regulator"])
def test_every_pack_exports_valid_battery_pass_modules(api_client, client_for, life, who):
    register_pack(life["maker"], rated_energy_kwh=60, rated_capacity_ah=150, mass_kg=400)
    client = api_client if who == "anonymous" else client_for(life[who])
    packs = _demo_packs(life)
    assert len(packs) >= 3
    for pack in packs:
        passport = client.get(f"/api/v1/passports/{pack.code}/").json()
        body = client.get(f"/api/v1/passports/{pack.code}/battery-pass/").json()
        assert body["access_class"] == passport["access_class"]
        general = body[battery_pass.GPI]
        assert general["productIdentifier"] == pack.code
        assert general["batteryStatus"] in {"Original", "Repurposed", "Waste"}
        missing = _check(battery_pass.GPI, general, passport)
        assert "batteryPassportIdentifier" not in missing and "batteryCategory" not in missing
        _check(battery_pass.PERFORMANCE, body[battery_pass.PERFORMANCE], passport)


def test_export_carries_what_the_class_shows_and_no_more(api_client, client_for, life):
    code = life["pack"].code
    public = api_client.get(f"/api/v1/passports/{code}/battery-pass/").json()
    assert "batteryCondition" not in public[battery_pass.PERFORMANCE]  # cycles and negative events are LI
    held = client_for(life["holder"]).get(f"/api/v1/passports/{code}/battery-pass/").json()
    cycles = held[battery_pass.PERFORMANCE]["batteryCondition"]["numberOfFullCycles"]
    assert cycles["numberOfFullCyclesValue"] > 0
    assert held[battery_pass.GPI]["batteryMass"] == 300.0


def test_an_invented_attribute_fails_validation(life, api_client):
    body = api_client.get(f"/api/v1/passports/{life['pack'].code}/battery-pass/").json()
    general = {**body[battery_pass.GPI], "carbonFootprintInvented": 1}
    with pytest.raises(AssertionError, match="Additional properties"):
        _check(battery_pass.GPI, general, {})
    with pytest.raises(AssertionError, match="is not one of"):
        _check(battery_pass.GPI, {**body[battery_pass.GPI], "batteryStatus": "original"}, {})


def test_the_vendored_schemas_carry_their_attribution():
    for module in (battery_pass.GPI, battery_pass.PERFORMANCE):
        schema = _schema(module)
        assert (
            "Battery Pass Consortium" in schema["description"] and "batterypass/" in schema["x-derived-from"]
        )
        assert "own subset" in schema["title"]  # never presented as the published file
    assert "CC BY" in (SCHEMAS / "README.md").read_text(encoding="utf-8")


def test_digital_id_names_the_2026_links_each_with_a_mark(api_client, client_for, life):
    code = life["pack"].code
    public = api_client.get(f"/api/v1/passports/{code}/digital-id/").json()
    keys = [f["key"] for f in public["fields"]]
    assert keys == ["code", "production", "sale", "swap", "repair", "scrapping", "recycling", "reuse"]
    assert all(f["mark"] in {"S", "S2", "U"} for f in public["fields"])
    assert public["fields"][0]["value"] == code
    assert all(f.get("withheld") for f in public["fields"][1:])
    held = client_for(life["holder"]).get(f"/api/v1/passports/{code}/digital-id/").json()
    by_key = {f["key"]: f["value"] for f in held["fields"]}
    assert [e["kind"] for e in by_key["production"]] == ["produced"]
    assert {e["kind"] for e in by_key["reuse"]} == {"cascade_received", "cascade_repurposed"}
    assert api_client.get("/api/v1/passports/NOPE/digital-id/").status_code == 404
    assert api_client.get("/api/v1/passports/NOPE/battery-pass/").status_code == 404
