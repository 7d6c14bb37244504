"""Floods and guessing (R-API): API throttles on the shared Redis cache with the platform's JSON error and
``Retry-After``, a stricter rate on the token endpoints, and django-axes locking the login form.

The rest of the suite runs with rates and lockout off (config.settings.test); these tests switch them on.
"""

import uuid

import pytest
from django.conf import settings
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = "/api/v1/public/service-points/"


@pytest.fixture
def rates():
    """Small rates on the real Redis cache, under a key prefix of this test alone."""
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}",
        }
    }
    rest = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "5/min", "user": "8/min", "auth": "3/min"},
    }
    with override_settings(CACHES=caches, REST_FRAMEWORK=rest):
        yield


def _assert_throttled(response):
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["status"] == 429 and error["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_anonymous_flood_is_throttled_with_the_json_error(rates):
    client = APIClient()
    answers = [client.get(PUBLIC).status_code for _ in range(5)]
    assert answers == [200] * 5
    _assert_throttled(client.get(PUBLIC))


def test_a_forged_forwarded_for_buys_no_fresh_allowance(rates):
    client = APIClient()
    for n in range(5):
        assert client.get(PUBLIC, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 200
    _assert_throttled(client.get(PUBLIC, HTTP_X_FORWARDED_FOR="203.0.113.99"))


def test_signed_in_callers_have_their_own_allowance(rates, client_for):
    alice, bob = client_for(UserFactory()), client_for(UserFactory())
    assert all(alice.get("/api/v1/me/").status_code == 200 for _ in range(8))
    _assert_throttled(alice.get("/api/v1/me/"))
    assert bob.get("/api/v1/me/").status_code == 200


def test_token_endpoints_have_a_stricter_rate(rates, client_for):
    client = client_for(UserFactory())
    answers = [client.post("/api/v1/tokens/", {"name": f"t{n}"}, format="json").status_code for n in range(3)]
    assert answers == [201] * 3
    _assert_throttled(client.post("/api/v1/tokens/", {"name": "one-more"}, format="json"))
    assert client.get("/api/v1/me/").status_code == 200  # the general allowance is untouched


def test_rates_off_in_the_suite_leave_floods_alone():
    client = APIClient()
    assert {client.get(PUBLIC).status_code for _ in range(20)} == {200}


# --- login lockout ------------------------------------------------------------------------------------------


@pytest.fixture
def lockout():
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3):
        yield


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_locks_after_repeated_failures(lockout):
    user = UserFactory()
    client = Client()
    assert [_login(client, user.username, "wrong").status_code for _ in range(2)] == [200, 200]
    locked = _login(client, user.username, "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # Locked out: even the right password is refused until the cool-off ends.
    assert _login(client, user.username, "pw").status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_login_resets_the_count(lockout):
    user = UserFactory()
    client = Client()
    _login(client, user.username, "wrong")
    _login(client, user.username, "wrong")
    assert _login(client, user.username, "pw").status_code == 302
    client.logout()
    assert _login(client, user.username, "wrong").status_code == 200


def test_lockout_is_per_user_and_address(lockout):
    victim, other = UserFactory(), UserFactory()
    attacker = Client()
    for _ in range(3):
        _login(attacker, victim.username, "wrong")
    assert _login(Client(), other.username, "pw").status_code == 302
    assert _login(Client(REMOTE_ADDR="198.51.100.7"), victim.username, "pw").status_code == 302


def test_the_lockout_page_is_in_chinese_first(lockout, settings):
    user = UserFactory()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    for _ in range(3):
        locked = _login(client, user.username, "wrong")
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
