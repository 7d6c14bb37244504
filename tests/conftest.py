import os
from pathlib import Path

import pytest
from hypothesis import settings
from rest_framework.test import APIClient

from accounts.services import api_token_issue
from tests.factories import OrganisationFactory, RegulatorFactory, UserFactory

# Property tests judge behaviour, not speed: a loaded machine must not fail them on hypothesis's time limit.
settings.register_profile("project", deadline=None)
settings.load_profile("project")


def token_client(user) -> APIClient:
    """An API client authenticated by a real token, as an enterprise's system would be."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(owner=user).raw}")
    return client


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def make_org(db):
    def make(kinds=("automaker",), region="BJ", **kw):
        return OrganisationFactory(kinds=list(kinds), region=region, **kw)

    return make


@pytest.fixture
def make_user(db):
    def make(org=None, *, kinds=("automaker",), region="BJ", role="manager", **kw):
        org = org or OrganisationFactory(kinds=list(kinds), region=region)
        return UserFactory(organisation=org, role=role, **kw)

    return make


@pytest.fixture
def make_regulator(db):
    def make(region="BJ", department="industry_it", role="manager"):
        from accounts.models import Organisation

        org = Organisation.objects.filter(is_regulator=True, region=region, department=department).first()
        org = org or RegulatorFactory(region=region, department=department)
        return UserFactory(organisation=org, role=role)

    return make


@pytest.fixture
def client_for():
    """``client_for(user)``: an API client with a fresh token for that user."""
    return token_client


# Playwright's sync API runs an event loop in the test thread; Django's async-safety guard would then refuse
# the test's own database calls although they run synchronously.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright (no downloaded browser builds). One per test module: Playwright's
    sync API keeps an event loop running in the test thread while it is open, and the modules that drive
    asyncio themselves (the telemetry gateway's) need it closed."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """``screenshot(name)`` saves the page under tests/artifacts/ and returns the path."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login(page, live_server):
    """``login(username, password)`` logs the browser in through the real login form."""

    def do(username: str, password: str = "pw"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")

    return do


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """Compile the .po catalogues so pages are tested in both languages with current translations: once, in the
    process that starts the parallel ones (pytest-xdist), before they start."""
    from django.core.management import call_command

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        call_command("compile_translations", verbosity=0)


def pytest_collection_modifyitems(session, config, items):
    """Transactional tests (live server, real workers) end with a flush that also empties the reference data
    loaded by data migrations (districts, calendars, thresholds, price sets). Marking them for serialized
    rollback makes the test database keep a snapshot of the migrated state and restore it before each of
    them, so every such test is independent of the order they run in."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        if marker and marker.args:
            kwargs.setdefault("transaction", marker.args[0])
        transactional = kwargs.get("transaction") or {"live_server", "transactional_db"} & names
        if transactional and not kwargs.get("serialized_rollback"):
            marker = pytest.mark.django_db(**{**kwargs, "transaction": True, "serialized_rollback": True})
            item.add_marker(marker, append=False)  # ahead of the test's own marker: the closest one wins


@pytest.fixture(scope="session", autouse=True)
def _serialized_state_for_every_context(django_db_setup):
    """Once Playwright's event loop runs in the test thread, Django hands out connection objects per async
    context, and the new ones lack the snapshot that serialized rollback restores from. Keeping the snapshot
    on the connection class makes it visible to all of them."""
    from django.db import connections

    for conn in connections.all():
        contents = getattr(conn, "_test_serialized_contents", None)
        if contents is not None:
            type(conn)._test_serialized_contents = contents


def _serialized(item) -> bool:
    marker = item.get_closest_marker("django_db") if item is not None else None
    return bool(marker and marker.kwargs.get("serialized_rollback"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends with a flush, and the next one restores the migrated state; a plain test after
    it would find the reference data gone. pytest-django runs transactional tests last, but parallel processes
    (pytest-xdist) take files in turn, so the state is restored here when a plain test follows."""
    result = yield
    if _serialized(item) and nextitem is not None and not _serialized(nextitem):
        from django.db import connections
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            conn = connections["default"]
            contents = getattr(conn, "_test_serialized_contents", None)
            if contents:
                conn.creation.deserialize_db_from_string(contents)
    return result


def pytest_unconfigure(config):
    """Embedded servers this test session started (no DATABASE_URL / REDIS_URL) stop when it ends; servers it
    found running, such as those of `make run`, are left alone."""
    from core import embedded

    embedded.stop_services(embedded.STARTED)
