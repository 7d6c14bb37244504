import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import OrganisationFactory, UserFactory
from traceability.models import Battery, Binding, Vehicle

from .factories import make_vin, register_pack

pytestmark = pytest.mark.django_db


def _login(user):
    client = Client()
    client.force_login(user)
    return client


def test_search_redirects_to_the_battery_page_with_its_trace(make_org, make_user):
    maker = make_org(kinds=["battery_maker"])
    pack = register_pack(maker, modules=1, cells=1)
    client = _login(make_user(maker))
    r = client.get("/batteries/", {"q": pack.code})
    assert r.status_code == 302
    page = client.get(r["Location"])
    assert pack.code in page.content.decode() and "produced" in page.content.decode()
    event = pack.events.first()
    assert (
        "verified"
        in client.get(f"/ledger/events/{event.pk}/proof/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    other = _login(make_user(make_org(kinds=["battery_maker"])))
    assert other.get(f"/batteries/{pack.code}/").status_code == 404


def test_binding_upload_with_error_report(make_org, make_user):
    maker = make_org(kinds=["battery_maker"])
    automaker = make_org(kinds=["automaker"])
    pack = register_pack(maker, customer=automaker)
    csv_text = f"vin,pack_code,sold_at\n{make_vin()},{pack.code},2024-05-01\nBADVIN,{pack.code},2024-05-01\n"
    upload = io.BytesIO(csv_text.encode())
    upload.name = "pairs.csv"
    client = _login(make_user(automaker))
    r = client.post("/uploads/bindings/", {"file": upload})
    assert r.status_code == 200
    body = r.content.decode()
    assert "upload-summary" in body
    token = r.context["report"]
    report = client.get(f"/uploads/report/{token}/")
    content = b"".join(report.streaming_content).decode("utf-8-sig")
    assert "BADVIN" in content and "length" in content
    assert _login(make_user(make_org())).get(f"/uploads/report/{token}/").status_code == 404


def test_code_decoder_page_is_public():
    r = Client().get("/codes/", {"code": "02XMQ613ABEY7468F5414448"})
    assert r.status_code == 200 and "battery_type" in r.content.decode()


def test_battery_page_links_only_vehicles_the_user_may_open(client):
    """The pack's custodian sees the vehicle's VIN but gets no link to the automaker's vehicle page."""

    automaker = OrganisationFactory(kinds=["automaker"])
    outlet = OrganisationFactory(kinds=["after_sales"])
    vehicle = Vehicle.objects.create(vin="LGX6LVEM37JR9P02X", automaker=automaker, region="BJ", use="taxi")
    pack = Battery.objects.create(
        code="0A1PB57F2SBX7K6280906916", level="P", state="removed", custodian=outlet
    )
    Binding.objects.create(vehicle=vehicle, pack=pack, bound_at=timezone.now() - dt.timedelta(days=30))
    client.force_login(UserFactory(organisation=outlet))
    body = client.get(f"/batteries/{pack.code}/").content.decode()
    assert vehicle.vin in body
    assert f"/vehicles/{vehicle.vin}/" not in body
    client.force_login(UserFactory(organisation=automaker))
    assert f"/vehicles/{vehicle.vin}/" in client.get(f"/batteries/{pack.code}/").content.decode()
    assert "Taxi" in client.get(f"/vehicles/{vehicle.vin}/").content.decode()
