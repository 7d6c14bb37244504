"""Content-Security-Policy on every page: the header forbids inline scripts, and no page relies on one (no
inline script body, no ``on*=`` handler attribute, no ``javascript:`` link), so the policy breaks nothing."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from accounts.demo import seed as seed_accounts
from accounts.models import User
from core.demo import DemoWorld
from core.navigation import items_for
from tests.recycling_network.factories import make_pack, make_point

ROLES = [
    "bj-industry-it", "tj-industry-it", "bj-viewer", "baic", "catl", "bj-4s", "bj-recycle", "hub",
    "bj-dismantle", "cascade-bj", "regen-tj", "assessor", "alliance", "admin",
]  # fmt: skip
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class ScriptAudit(HTMLParser):
    """What in a page would need ``'unsafe-inline'`` to run."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.scripts = 0
        self._inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> handler attribute")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "script":
            self.scripts += 1
            kind = (attrs.get("type") or "").lower()
            self._inline_script = (
                "src" not in attrs and kind not in DATA_SCRIPT_TYPES and "nonce" not in attrs
            )

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline_script = False

    def handle_data(self, data):
        if self._inline_script and data.strip():
            self.problems.append(f"inline script: {data.strip()[:80]!r}")


def policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def audit(response, where: str) -> list[str]:
    if "text/html" not in response.get("Content-Type", ""):
        return []
    found = []
    csp = policy(response)
    script_src = csp.get("script-src") or csp.get("default-src")
    if not script_src:
        found.append(f"{where}: no Content-Security-Policy script-src")
    elif "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        found.append(f"{where}: script-src allows {script_src}")
    if csp.get("object-src") != ["'none'"]:
        found.append(f"{where}: object-src is {csp.get('object-src')}")
    parser = ScriptAudit()
    parser.feed(response.content.decode())
    found += [f"{where}: {p}" for p in parser.problems]
    if parser.scripts == 0:
        found.append(f"{where}: no script tag at all (the page lost its scripts?)")
    return found


@pytest.fixture
def world(db):
    seed_accounts(DemoWorld())
    return {u.username: u for u in User.objects.filter(username__in=ROLES)}


def test_every_menu_page_sends_a_policy_without_inline_scripts(world):
    users = world
    assert set(users) == set(ROLES)
    problems: list[str] = []
    checked = 0
    for role in [*ROLES, None]:
        client = Client()
        user = users.get(role) if role else None
        if user:
            client.force_login(user)
        for url in ["/", *(item["url"] for item in items_for(user))]:
            response = client.get(url)
            if response.status_code != 200:
                continue
            checked += 1
            problems += audit(response, f"{role or 'anonymous'} {url}")
    assert checked > 40
    assert problems == []


def test_detail_pages_and_the_map_bootstrap_data_as_json_only(world):
    users = world
    recycler = users["bj-recycle"]
    point = make_point(operator=recycler.organisation, automakers=[users["baic"].organisation], region="BJ")
    pack = make_pack(maker=users["catl"].organisation, custodian=recycler.organisation, mass_kg=320)
    pages = [
        (None, f"/service-points/{point.code}/"),
        (None, "/service-points/"),
        (None, "/recycling-guide/"),
        (None, "/accounts/login/"),
        (None, "/admin/login/"),
        (None, "/api/docs/"),
        ("admin", "/admin/"),
        ("admin", "/admin/recycling_network/servicepoint/"),
        ("admin", f"/admin/recycling_network/servicepoint/{point.pk}/change/"),
        ("bj-recycle", f"/network/points/{point.pk}/stock/"),
        ("bj-recycle", "/network/intake/"),
        ("bj-recycle", f"/batteries/{pack.code}/"),
        ("bj-recycle", f"/valuation/batteries/{pack.code}/"),
        ("bj-industry-it", "/dashboards/"),
        ("bj-industry-it", "/alliance/guidance/"),
    ]
    problems: list[str] = []
    for role, url in pages:
        client = Client()
        if role:
            client.force_login(users[role])
        response = client.get(url)
        assert response.status_code == 200, url
        problems += audit(response, f"{role or 'anonymous'} {url}")
    assert problems == []


def test_the_audit_catches_an_inline_script_and_a_handler():
    """The checker itself: a page with an inline script or a handler attribute is reported."""
    parser = ScriptAudit()
    parser.feed('<script>alert(1)</script><img src=x onerror="alert(1)"><script src="/s.js"></script>')
    parser.feed('<script type="application/json" id="d">{"a": 1}</script>')
    assert len(parser.problems) == 2 and parser.scripts == 3
