"""A person scans a battery's label: the QR code on the printable label is decoded from a screenshot, the URL
opened in Debian chromium; public fields only, then more as the holder and as a regulator, for a battery with a
full life and for a pack of the demo world (R-PUBLIC)."""

import io

import pytest
import zxingcpp
from django.core.management import call_command
from PIL import Image

from accounts.models import User
from core.demo import DEMO_PASSWORD
from tests.passport.conftest import build_life
from traceability.models import Battery


def _field_shown(page, name: str) -> bool:
    return page.locator(f"[data-field='{name}']").count() > 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_scan_the_label_and_see_each_class(page, live_server, login, make_regulator, screenshot):
    life = build_life(make_regulator)
    code = life["pack"].code
    page.goto(f"{live_server.url}/id/{code}/label/")
    page.wait_for_load_state("networkidle")
    shot = page.locator(".label img").screenshot()
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert found.text == f"{live_server.url}/id/{code}/"

    page.goto(found.text)
    assert page.locator("#access-class").get_attribute("data-class") == "public"
    assert page.locator("#passport-code").inner_text() == code
    for name in ("manufacturer", "chemistry", "mass_kg", "status", "hand_in_point", "second_life"):
        assert _field_shown(page, name), name
    for name in ("state_of_health", "custody_history", "custodian", "vehicles"):
        assert not _field_shown(page, name), name
    assert life["enterprise"].name_zh not in page.content().split('data-field="second_life"')[0]
    screenshot("passport-public")

    login(life["holder"].username)
    page.goto(found.text)
    assert page.locator("#access-class").get_attribute("data-class") == "legitimate_interest"
    for name in ("state_of_health", "cycle_count", "timeline", "custody_history"):
        assert _field_shown(page, name), name
    assert not _field_shown(page, "custodian") and not _field_shown(page, "custody_history_named")
    screenshot("passport-holder")

    page.context.clear_cookies()
    login(life["regulator"].username)
    page.goto(found.text)
    assert page.locator("#access-class").get_attribute("data-class") == "authority"
    for name in ("state_of_health", "custody_history", "custody_history_named", "custodian", "vehicles"):
        assert _field_shown(page, name), name
    assert life["enterprise"].name_zh in page.locator("[data-field='custodian']").inner_text()
    screenshot("passport-regulator")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_scan_a_demo_pack_and_see_each_class(page, live_server, login):
    """The same scan on a pack of the ``seed_demo`` world, logged in with the demo world's own accounts."""

    call_command("seed_demo", stdout=io.StringIO())
    pack = (
        Battery.objects.filter(level="P", state="in_vehicle", custodian__is_regulator=False)
        .exclude(custodian__users__isnull=True)
        .order_by("code")
        .first()
    )
    holder = User.objects.filter(organisation=pack.custodian).order_by("username").first()
    regulator = User.objects.filter(organisation__is_regulator=True).order_by("username").first()
    page.goto(f"{live_server.url}/id/{pack.code}/label/")
    page.wait_for_load_state("networkidle")
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(page.locator(".label img").screenshot())))
    assert found.text == f"{live_server.url}/id/{pack.code}/"

    for user, cls, shown, hidden in (
        (
            None,
            "public",
            ("manufacturer", "chemistry", "mass_kg", "status"),
            ("custody_history", "custodian"),
        ),
        (holder, "legitimate_interest", ("custody_history",), ("custodian", "custody_history_named")),
        (regulator, "authority", ("custody_history", "custody_history_named", "custodian", "vehicles"), ()),
    ):
        page.context.clear_cookies()
        if user is not None:
            login(user.username, DEMO_PASSWORD)
        page.goto(found.text)
        assert page.locator("#access-class").get_attribute("data-class") == cls
        assert page.locator("#passport-code").inner_text() == pack.code
        for name in shown:
            assert _field_shown(page, name), (cls, name)
        for name in hidden:
            assert not _field_shown(page, name), (cls, name)
