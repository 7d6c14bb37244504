"""Smoke walk through the site as each role of the demo: every page of the user's menu and the key detail and
export pages answer, in Chinese and in English, and the Chinese menu is translated; forbidden pages answer with
their documented status. One browser test switches the language back and forth."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from accounts.demo import seed as seed_accounts
from accounts.models import User
from core import navigation
from core.demo import DemoWorld
from core.navigation import items_for
from tests.conftest import ARTIFACTS
from tests.recycling_network.factories import make_pack, make_point
from tests.walkthrough import fit
from tests.walkthrough.fit import VIEWPORTS

# The demo's roles: regulators (manager and read-only), one enterprise of each kind, the administrator.
ROLES = [
    "bj-industry-it", "tj-industry-it", "bj-viewer", "baic", "catl", "bj-4s", "bj-recycle", "hub",
    "bj-dismantle", "cascade-bj", "regen-tj", "assessor", "alliance", "admin",
]  # fmt: skip
ANONYMOUS = "anonymous"
EXPORT_TYPES = {"csv": "text/csv", "xlsx": "spreadsheetml"}


@dataclass
class Walk:
    users: dict[str, User]
    point: object
    pack: object
    failures: list[str] = field(default_factory=list)

    def client(self, role: str, lang: str = "zh-hans") -> Client:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        if role != ANONYMOUS:
            client.force_login(self.users[role])
        return client

    def get(
        self, role: str, url: str, *, lang: str = "zh-hans", expect: int = 200, client: Client | None = None
    ):
        response = (client or self.client(role, lang)).get(url)
        if response.status_code != expect:
            self.failures.append(f"{role} {lang} {url}: {response.status_code}, expected {expect}")
            return None
        if expect == 200 and "text/html" in response.get("Content-Type", ""):
            body = response.content.decode()
            if re.search(r"{{|{%", body):
                self.failures.append(f"{role} {lang} {url}: template syntax leaked into the page")
            filter_bars = re.findall(r'<form method="get".*?</form>', body, flags=re.S)
            if any(">---------<" in bar for bar in filter_bars):
                self.failures.append(
                    f"{role} {lang} {url}: a filter choice reads '---------' instead of a word"
                )
        return response


def _seed_walk() -> Walk:
    """The demo's organisations and users, a published service point operated by bj-recycle for BAIC, and a
    CATL pack in bj-recycle's custody."""
    world = DemoWorld()
    seed_accounts(world)
    users = {u.username: u for u in User.objects.filter(username__in=ROLES)}
    orgs = world.orgs
    point = make_point(operator=orgs["bj-recycle"], automakers=[orgs["baic"]], region="BJ")
    pack = make_pack(maker=orgs["catl"], custodian=orgs["bj-recycle"], mass_kg=320)
    return Walk(users=users, point=point, pack=pack)


@pytest.fixture
def walk(db) -> Walk:
    return _seed_walk()


def _menu_labels(user) -> list[str]:
    """The labels of the navigation bar in the active language: its entries and, where shown, section names."""
    labels = [str(item["label"]) for item in items_for(user)]
    labels += [str(entry["label"]) for entry in getattr(navigation, "menu_for", lambda u: [])(user)]
    return labels


def test_every_role_opens_its_menu_in_chinese_and_english(walk):
    seen_in_english: set[str] = (
        set()
    )  # each page once in English is enough; Chinese is checked for every role
    for role in [*ROLES, ANONYMOUS]:
        user = walk.users.get(role)
        with translation.override("zh-hans"):
            urls = [item["url"] for item in items_for(user)]
            chinese = set(_menu_labels(user))
        with translation.override("en"):
            english = set(_menu_labels(user))
        assert urls, f"{role} has an empty menu"
        for label in chinese & english:
            if re.search(r"[A-Za-z]{3}", label):
                walk.failures.append(f"{role}: menu label {label!r} has no Chinese translation")
        zh, en = walk.client(role, "zh-hans"), walk.client(role, "en")
        for url in ["/", *urls]:
            response = walk.get(role, url, client=zh)
            if response is None:
                continue
            navbar = response.content.decode().split('id="mainnav"', 1)[-1].split("</nav>", 1)[0]
            for label in english - chinese:
                if f">{label}</a>" in navbar:
                    walk.failures.append(f"{role} zh {url}: menu label {label!r} is shown in English")
            if url not in seen_in_english:
                seen_in_english.add(url)
                walk.get(role, url, lang="en", client=en)
    assert not walk.failures, "\n".join(walk.failures)


def test_key_detail_and_export_pages(walk):
    point, pack = walk.point, walk.pack
    pages = [
        (ANONYMOUS, f"/service-points/{point.code}/"),
        (ANONYMOUS, "/service-points/?export=csv"),
        ("bj-recycle", f"/network/points/{point.pk}/stock/"),
        ("bj-recycle", f"/network/points/{point.pk}/stock/?export=xlsx"),
        ("baic", f"/network/points/{point.pk}/stock/"),
        ("bj-industry-it", f"/network/points/{point.pk}/stock/"),
        ("bj-recycle", "/network/points/?export=csv"),
        ("bj-recycle", "/network/transfers/?export=xlsx"),
        ("bj-recycle", "/network/intake/"),
        ("bj-industry-it", "/network/alerts/"),
        ("catl", f"/batteries/{pack.code}/"),
        ("bj-recycle", f"/batteries/{pack.code}/"),
        ("bj-recycle", f"/valuation/batteries/{pack.code}/"),
        ("bj-industry-it", "/valuation/?export=csv"),
        ("cascade-bj", "/cascade/authorisations/"),
        ("bj-industry-it", "/cascade/products/?export=csv"),
        ("regen-tj", "/regeneration/licences/"),
        ("regen-tj", "/regeneration/balance/"),
        ("bj-industry-it", "/regeneration/batches/?export=xlsx"),
        ("alliance", "/alliance/applications/"),
        ("bj-industry-it", "/alliance/report/?export=csv"),
        ("baic", "/alliance/deals/"),
        ("baic", "/audit/?export=csv"),
    ]
    for role, url in pages:
        for lang in ("zh-hans", "en"):
            response = walk.get(role, url, lang=lang)
            fmt = re.search(r"export=(\w+)", url)
            if response is not None and fmt and EXPORT_TYPES[fmt[1]] not in response["Content-Type"]:
                walk.failures.append(f"{role} {url}: {response['Content-Type']} is not {fmt[1]}")
    assert not walk.failures, "\n".join(walk.failures)


def test_forbidden_pages_answer_with_their_documented_status(walk):
    point, pack = walk.point, walk.pack
    forbidden = [
        # Working pages ask anonymous visitors to log in.
        (ANONYMOUS, "/network/points/", 302),
        (ANONYMOUS, "/alliance/lots/", 302),
        (ANONYMOUS, "/audit/", 302),
        # A published point is public, its stock belongs to its operator, automakers and regulators.
        ("cascade-bj", f"/network/points/{point.pk}/stock/", 403),
        # Another enterprise's battery does not exist for you.
        ("baic", f"/batteries/{pack.code}/", 404),
        ("baic", f"/valuation/batteries/{pack.code}/", 404),
        # The market report is for members and regulators; lots are listed by member enterprises only.
        ("bj-4s", "/alliance/report/", 404),
        ("bj-industry-it", "/alliance/lots/new/", 302),
        ("baic", "/alliance/lots/new/", 302),
    ]
    for role, url, status in forbidden:
        walk.get(role, url, expect=status)
    assert not walk.failures, "\n".join(walk.failures)


def test_an_enterprise_lists_only_its_own_service_points(walk):
    other = make_point(region="BJ")
    body = walk.get("bj-recycle", "/network/points/").content.decode()
    assert walk.point.code in body
    assert other.code not in body
    assert other.code in walk.get("bj-industry-it", "/network/points/").content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_language_switch_round_trip(page, login, live_server, screenshot, make_user):
    user = make_user(kinds=("service_operator",))
    login(user.username)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.click("#lang-switch")
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#mainnav").get_by_text("Service points", exact=True).count()
    screenshot("walkthrough-language-en")
    page.click("#lang-switch")
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("#mainnav").get_by_text("回收服务网点", exact=True).count()
    screenshot("walkthrough-language-zh")


# --- every page fits the screen (R-PUBLIC) -------------------------------------------------------------------

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# The README's layout screenshots: (role, url, name); each is taken in Chinese and English, on desktop and phone.
ENGLISH_ROLES = (ANONYMOUS, "bj-industry-it", "bj-recycle", "admin")
README_SHOTS = [
    ("bj-industry-it", "/dashboards/", "regulator-overview"),
    (ANONYMOUS, "/service-points/", "public-map"),
]


@pytest.fixture
def fit_world(transactional_db) -> Walk:
    """The walk's world, committed for a live server."""
    return _seed_walk()


def _context(browser, live_server, user, *, size: str, lang: str):
    context = browser.new_context(viewport=VIEWPORTS[size], locale="zh-CN")
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url}]
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url})
    context.add_cookies(cookies)
    return context


@pytest.mark.browser
def test_every_page_of_every_menu_fits_desktop_and_phone(browser, live_server, fit_world):
    """Every role's menu pages and the public pages, at 1366 × 768 and 390 × 844, in Chinese; in English (whose
    labels are longer) for the visitor and one role of each audience. The navigation bar is the same on every
    page of a role, so its entries are checked on the role's first page."""
    users, point = fit_world.users, fit_world.point
    public = [item["url"] for item in items_for(None)] + [
        f"/service-points/{point.code}/",
        "/service-points/?near=39.9042,116.4074",  # the nearest-point search
        "/accounts/login/",
    ]
    failures: list[str] = []
    visited = 0
    for size in VIEWPORTS:
        for role in [ANONYMOUS, *ROLES]:
            user = users.get(role)
            menu = [item["url"] for item in items_for(user)]
            urls = (
                public if user is None else ["/", *(u for u in menu if u not in public), "/accounts/profile/"]
            )
            for lang in ("zh-hans", "en") if role in ENGLISH_ROLES else ("zh-hans",):
                context = _context(browser, live_server, user, size=size, lang=lang)
                page = context.new_page()
                for n, url in enumerate(urls):
                    response = page.goto(f"{live_server.url}{url}", wait_until="load")
                    if response is None or response.status != 200:
                        failures.append(f"{role} {lang} {size} {url}: {response and response.status}")
                        continue
                    visited += 1
                    failures += fit.problems(page, where=f"{role} {lang} {size} {url}", navigation=n == 0)
                context.close()
    assert visited > 100  # every role's pages were seen, not an empty walk
    assert not failures, "\n".join(failures)


@pytest.mark.browser
def test_readme_screenshots_in_both_languages_on_desktop_and_phone(browser, live_server, fit_world):
    """Refreshes docs/screenshots/layout-*.png (set JJJ_REFRESH_SCREENSHOTS=1; otherwise under tests/artifacts/)."""
    users = fit_world.users
    out = SCREENSHOTS if os.environ.get("JJJ_REFRESH_SCREENSHOTS") else ARTIFACTS / "layout"
    out.mkdir(parents=True, exist_ok=True)
    taken = []
    for role, url, name in README_SHOTS:
        for size in VIEWPORTS:
            for lang, suffix in (("zh-hans", "zh"), ("en", "en")):
                context = _context(browser, live_server, users.get(role), size=size, lang=lang)
                page = context.new_page()
                page.goto(f"{live_server.url}{url}", wait_until="networkidle")
                assert page.locator("html").get_attribute("lang") == lang
                path = out / f"layout-{name}-{size}-{suffix}.png"
                page.screenshot(path=str(path))
                taken.append(path)
                assert not fit.problems(page, where=url)
                context.close()
    assert all(p.stat().st_size > 10_000 for p in taken) and len(taken) == 4 * len(README_SHOTS)
