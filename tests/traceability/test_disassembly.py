"""Packs, modules and cells (R-CODE, R-LIFE): a pack's events are its modules' and cells' trace by reference, a
child inside an intact pack has no path of its own, and a disassembly by the entitled holder gives each child
its own path. Each attack is refused with the rule's name and nothing changes."""

import importlib
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from accounts.actors import platform_actor
from accounts.management.commands.seed_demo import DEMO_APPS
from core.demo import DemoWorld
from regeneration.models import Licence
from tests.cascade_use.factories import authorise, licence
from tests.factories import OrganisationFactory
from traceability import ledger_store, selectors, services
from traceability.models import Battery, LifecycleEvent

from .factories import CHAIN, at, make_code, move, pack_in_vehicle, parties, refused, register_pack

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_org, make_user):
    return parties(make_org, make_user, **CHAIN, other_regen=("regeneration", "TJ"))


def _snapshot(*batteries):
    rows = Battery.objects.filter(pk__in=[b.pk for b in batteries]).order_by("pk")
    return [(b.pk, b.state, b.custodian_id, b.parent_id) for b in rows], LifecycleEvent.objects.count()


def _in_vehicle(world, **kw):
    return pack_in_vehicle(world["maker"], world["automaker"], **kw)


def _at_regeneration(world, **kw):
    licence(world["regen"])
    pack = _in_vehicle(world, **kw)
    services.event_record(
        battery=pack, kind="removed", actor=platform_actor(world["automaker"]), occurred_at=at(2025, 1, 2)
    )
    move(pack, world["point"], at_=at(2025, 1, 3))
    move(pack, world["regen"], at_=at(2025, 1, 4), kind="regeneration_received")
    return pack


def _modules(pack):
    return list(Battery.objects.filter(parent=pack).order_by("code"))


# --- the attacks ---------------------------------------------------------------------------------------------


def test_an_enterprise_that_does_not_hold_the_pack_cannot_take_it_apart(world, client_for):
    licence(world["other_regen"])
    pack = _at_regeneration(world, modules=2)
    before = _snapshot(pack, *_modules(pack))
    refused("custody.holder_only", services.battery_disassemble, actor=platform_actor(world["other_regen"]), code=pack.code,
             occurred_at=at(2025, 1, 5))  # fmt: skip
    # The maker still sees its pack; it is not entitled to take it apart at someone else's works.
    r = client_for(world["users"]["maker"]).post(
        f"/api/v1/batteries/{pack.code}/disassembly/",
        {"occurred_at": "2025-01-05T10:00:00+08:00"},
        format="json",
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "custody.holder_only", r.json()
    assert _snapshot(pack, *_modules(pack)) == before


def test_a_holder_without_a_valid_licence_cannot_take_a_pack_apart(world):
    pack = _at_regeneration(world, modules=1)

    Licence.objects.filter(enterprise=world["regen"]).update(valid_to=date(2025, 1, 4))
    before = _snapshot(pack, *_modules(pack))
    err = refused("regeneration.licence_expired", services.battery_disassemble, actor=platform_actor(world["regen"]),
                   code=pack.code, occurred_at=at(2025, 1, 5))  # fmt: skip
    assert err.field == "battery_code"
    assert _snapshot(pack, *_modules(pack)) == before


def test_a_pack_in_a_vehicle_cannot_be_taken_apart(world, client_for):
    pack = _in_vehicle(world, modules=2)
    before = _snapshot(pack, *_modules(pack))
    refused("lifecycle.disassembled", services.battery_disassemble, actor=platform_actor(world["automaker"]), code=pack.code,
             occurred_at=at(2025, 1, 5))  # fmt: skip
    r = client_for(world["users"]["automaker"]).post(
        f"/api/v1/batteries/{pack.code}/disassembly/", {}, format="json"
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "lifecycle.disassembled"
    assert _snapshot(pack, *_modules(pack)) == before


def test_a_pack_is_taken_apart_once(world):
    pack = _at_regeneration(world, modules=2)
    services.battery_disassemble(
        actor=platform_actor(world["regen"]), code=pack.code, occurred_at=at(2025, 1, 5)
    )
    before = _snapshot(pack, *_modules(pack))
    refused("lifecycle.disassembled", services.battery_disassemble, actor=platform_actor(world["regen"]), code=pack.code,
             occurred_at=at(2025, 1, 6))  # fmt: skip
    assert _snapshot(pack, *_modules(pack)) == before


def test_a_child_code_of_another_pack_isrefused(world):
    pack = _at_regeneration(world, modules=1)
    other = register_pack(world["maker"], modules=1)
    foreign = _modules(other)[0]
    loose = services.battery_register(code=make_code("M"), maker=world["maker"], actor=platform_actor(world["maker"]),
                                      occurred_at=at(2024, 3, 6))  # fmt: skip
    before = _snapshot(pack, other, foreign, loose, *_modules(pack))
    for stolen in (foreign, loose):
        refused("disassembly.child_of_another", services.battery_disassemble, actor=platform_actor(world["regen"]), code=pack.code,
                 children=[stolen.code], occurred_at=at(2025, 1, 5))  # fmt: skip
    assert _snapshot(pack, other, foreign, loose, *_modules(pack)) == before


def test_an_unknown_child_code_must_decode_one_level_below(world):
    pack = _at_regeneration(world)
    before = _snapshot(pack)
    refused("disassembly.child_level", services.battery_disassemble, actor=platform_actor(world["regen"]), code=pack.code,
             children=[make_code("P")], occurred_at=at(2025, 1, 5))  # fmt: skip
    refused("serial", services.battery_disassemble, actor=platform_actor(world["regen"]), code=pack.code,
             children=[make_code("M")[:17] + "00000AB"], occurred_at=at(2025, 1, 5))  # fmt: skip
    refused("manufacturer_unregistered", services.battery_disassemble, actor=platform_actor(world["regen"]), code=pack.code,
             children=[make_code("M", maker="ZZ9")], occurred_at=at(2025, 1, 5))  # fmt: skip
    # No children at all: a disassembly gives parts.
    refused("disassembly.children_separated", services.battery_disassemble, actor=platform_actor(world["regen"]),
             code=pack.code, occurred_at=at(2025, 1, 5))  # fmt: skip
    assert _snapshot(pack) == before
    assert not Battery.objects.filter(parent=pack).exists()


def test_formula_and_oversized_children_are_bad_input(world, client_for):
    pack = _at_regeneration(world, modules=1)
    client = client_for(world["users"]["regen"])
    url = f"/api/v1/batteries/{pack.code}/disassembly/"
    for body in ({"children": "=HYPERLINK(1)"}, {"children": ["=cmd|' /C calc'!A0"]}, {"children": ["x" * 40]},
                 {"occurred_at": "yesterday"}):  # fmt: skip
        r = client.post(url, body, format="json")
        assert r.status_code == 400, (body, r.status_code, r.content)
    assert Battery.objects.get(pk=pack.pk).state == "at_regeneration"


def test_an_event_on_a_module_inside_an_intact_pack_isrefused(world, client_for):
    pack = _at_regeneration(world, modules=1, cells=1)
    module = _modules(pack)[0]
    cell = Battery.objects.get(parent=module)
    before = _snapshot(pack, module, cell)
    for child, kind in ((module, "dispatched"), (module, "lost"), (cell, "regeneration_received"),
                        (module, "separated")):  # fmt: skip
        refused("lifecycle.part_of_intact_pack", services.event_record, battery=child, kind=kind,
                 actor=platform_actor(world["maker"]), occurred_at=at(2025, 1, 5))  # fmt: skip
    # A module cannot be taken apart on its own while its pack is intact.
    refused("lifecycle.part_of_intact_pack", services.battery_disassemble, actor=platform_actor(world["automaker"]),
             code=module.code, occurred_at=at(2025, 1, 5))  # fmt: skip
    # The generic endpoint has no disassembly and no separation: those come with their own endpoint.
    r = client_for(world["users"]["regen"]).post(
        "/api/v1/events/",
        {
            "items": [
                {"battery_code": pack.code, "kind": "disassembled", "occurred_at": "2025-01-05"},
                {"battery_code": module.code, "kind": "separated", "occurred_at": "2025-01-05"},
            ]
        },
        format="json",
    )
    assert [x["status"] for x in r.json()["results"]] == ["error", "error"]
    assert _snapshot(pack, module, cell) == before
    # What the standard allows on a part alone: an assessment of it, which moves nothing.
    assessor = OrganisationFactory(kinds=["assessor"])
    services.event_record(
        battery=module, kind="assessed", actor=platform_actor(assessor), occurred_at=at(2025, 1, 5)
    )
    assert _snapshot(pack, module, cell)[0] == before[0]


def test_a_separated_module_cannot_be_separated_again_through_the_engine(world):
    pack = _at_regeneration(world, modules=1)
    services.battery_disassemble(
        actor=platform_actor(world["regen"]), code=pack.code, occurred_at=at(2025, 1, 5)
    )
    module = _modules(pack)[0]
    before = _snapshot(module)
    with pytest.raises(services.TraceabilityError) as err:
        services.event_record(
            battery=module, kind="separated", actor=platform_actor(world["regen"]), occurred_at=at(2025, 1, 6)
        )
    assert err.value.code == "lifecycle.separated"
    assert _snapshot(module) == before


def test_the_engine_refuses_a_disassembly_that_leaves_children_inside(world):
    pack = _at_regeneration(world, modules=2)
    before = _snapshot(pack, *_modules(pack))
    refused("disassembly.children_separated", services.event_record, battery=pack, kind="disassembled",
             actor=platform_actor(world["regen"]), occurred_at=at(2025, 1, 5))  # fmt: skip
    assert _snapshot(pack, *_modules(pack)) == before


# --- the positive paths --------------------------------------------------------------------------------------


def test_disassembly_at_regeneration_gives_each_child_its_own_path(world, client_for):
    pack = _at_regeneration(world, modules=2, cells=2)
    new_module = make_code("M")
    r = client_for(world["users"]["regen"]).post(
        f"/api/v1/batteries/{pack.code}/disassembly/",
        {"children": [new_module.lower()], "occurred_at": "2025-01-05T10:00:00+08:00"},
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "disassembled" and body["registered"] == [new_module]
    assert len(body["children"]) == 3 and all(c["state"] == "at_regeneration" for c in body["children"])
    modules = _modules(pack)
    assert {m.custodian_id for m in modules} == {world["regen"].pk}
    assert all(m.vehicle_use_ended and m.region == "TJ" for m in modules)
    added = Battery.objects.get(code=new_module)
    assert added.parent_id == pack.pk and added.registered is False
    seps = LifecycleEvent.objects.filter(kind="separated", battery__parent=pack)
    assert seps.count() == 3 and all(e.payload["from"] == pack.code for e in seps)
    assert all(e.custodian_after_id == world["regen"].pk for e in seps)
    assert ledger_ok()
    # The cells are still inside their (now separate) modules.
    cell = Battery.objects.filter(parent=modules[0]).first()
    refused("lifecycle.part_of_intact_pack", services.event_record, battery=cell, kind="dismantled",
             actor=platform_actor(world["regen"]), occurred_at=at(2025, 1, 6))  # fmt: skip


def test_a_cell_goes_on_alone_and_its_trace_shows_the_packs_history_by_reference(world, client_for):
    authorise(world["maker"], world["cascade"], valid_from=date(2024, 1, 1), valid_to=date(2030, 1, 1))
    licence(world["regen"])
    pack = _in_vehicle(world, modules=1, cells=2)
    services.event_record(
        battery=pack, kind="removed", actor=platform_actor(world["automaker"]), occurred_at=at(2025, 1, 2)
    )
    move(pack, world["point"], at_=at(2025, 1, 3))
    move(pack, world["cascade"], at_=at(2025, 1, 4), kind="cascade_received")
    services.battery_disassemble(
        actor=platform_actor(world["cascade"]), code=pack.code, occurred_at=at(2025, 1, 5)
    )
    module = _modules(pack)[0]
    assert (module.state, module.custodian_id) == ("cascade_use", world["cascade"].pk)
    services.battery_disassemble(
        actor=platform_actor(world["cascade"]), code=module.code, occurred_at=at(2025, 1, 6)
    )
    cell = Battery.objects.filter(parent=module).order_by("code").first()
    assert (cell.state, cell.custodian_id) == ("cascade_use", world["cascade"].pk)
    # The cell alone: its second life ends, it goes to regeneration.
    services.event_record(
        battery=cell,
        kind="cascade_retired",
        actor=platform_actor(world["cascade"]),
        occurred_at=at(2025, 2, 1),
    )
    move(cell, world["regen"], at_=at(2025, 2, 2), kind="regeneration_received")
    assert (cell.state, cell.custodian_id) == ("at_regeneration", world["regen"].pk)

    trace = services_trace(cell)
    own = [e["kind"] for e in trace["events"]]
    assert own[:2] == ["produced", "separated"] and own[-1] == "regeneration_received"
    module_part, pack_part = trace["ancestors"]
    assert module_part["code"] == module.code and pack_part["code"] == pack.code
    assert [e["kind"] for e in module_part["events"]] == ["produced", "separated", "disassembled"]
    pack_kinds = [e["kind"] for e in pack_part["events"]]
    assert pack_kinds[0] == "produced" and "bound" in pack_kinds and "cascade_received" in pack_kinds
    assert pack_kinds[-1] == "disassembled"
    # By reference: the pack's events are the pack's rows, with the pack's code and ledger index.
    assert all(e["battery"] == pack.code and e["ledger_index"] is not None for e in pack_part["events"])
    assert LifecycleEvent.objects.filter(battery=cell, kind__in=["bound", "cascade_received"]).count() == 0
    assert ledger_ok()
    # Over REST and on the page, for the cell's holder.
    r = client_for(world["users"]["regen"]).get(f"/api/v1/batteries/{cell.code}/trace/")
    assert r.status_code == 200 and [a["code"] for a in r.json()["ancestors"]] == [module.code, pack.code]


def test_a_child_still_inside_sees_all_of_its_packs_events(world):
    pack = _in_vehicle(world, modules=1)
    module = _modules(pack)[0]
    trace = services_trace(module)
    assert [e["kind"] for e in trace["ancestors"][0]["events"]] == ["produced", "bound"]
    assert trace["ancestors"][0]["separated_at"] is None


def _browser(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_page_offers_the_disassembly_to_the_entitled_holder_only(world):
    pack = _at_regeneration(world, modules=1)
    page = reverse("traceability:battery-detail", args=[pack.code])
    holder = _browser(world["users"]["regen"])
    assert b'id="disassembly"' in holder.get(page).content
    assert b'id="disassembly"' not in _browser(world["users"]["maker"]).get(page).content
    # A forged post by the maker changes nothing.
    _browser(world["users"]["maker"]).post(reverse("traceability:battery-disassemble", args=[pack.code]))
    assert Battery.objects.get(pk=pack.pk).state == "at_regeneration"
    r = holder.post(reverse("traceability:battery-disassemble", args=[pack.code]), {"children": ""})
    assert r.status_code == 302 and Battery.objects.get(pk=pack.pk).state == "disassembled"


def test_the_disassembly_endpoint_is_in_the_openapi_document(client_for, world):
    r = client_for(world["users"]["regen"]).get("/api/schema/")
    assert r.status_code == 200 and b"/api/v1/batteries/{code}/disassembly/" in r.content


def ledger_ok() -> bool:
    return ledger_store.verify().ok


def services_trace(battery):
    return selectors.battery_trace(battery=Battery.objects.get(pk=battery.pk))


def test_the_demo_world_has_a_disassembled_pack_whose_modules_go_on_alone():

    world = DemoWorld()
    for app in DEMO_APPS[: DEMO_APPS.index("regeneration") + 1]:
        importlib.import_module(f"{app}.demo").seed(world)
    pack = Battery.objects.get(state="disassembled")
    modules = _modules(pack)
    assert modules and {m.state for m in modules} == {"at_regeneration"}
    assert {m.custodian_id for m in modules} == {world.orgs["regen-tj"].pk}
    trace = services_trace(modules[0])
    assert trace["ancestors"][0]["code"] == pack.code
    assert [e["kind"] for e in trace["ancestors"][0]["events"]][-2:] == [
        "regeneration_received",
        "disassembled",
    ]
    assert ledger_ok()
