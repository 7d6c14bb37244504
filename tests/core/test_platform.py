"""Platform-wide behaviour: OpenAPI, error format, bulk envelopes, idempotency, health, i18n, deploy checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.utils import translation
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.choices import Role
from core.api.bulk import CREATED, ERROR, BulkAPIView, item_result
from core.models import IdempotencyRecord
from core.navigation import menu_for

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_schema(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/me/" in doc["paths"]


def test_swagger_ui_renders(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_unauthenticated_api_gets_json_error(client, db):
    response = client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert response.json()["error"]["status"] == response.status_code


def test_healthz(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_home_page_in_chinese_by_default_and_english_on_request(client, db):
    zh = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 200
    assert "京津冀动力电池溯源平台" in zh.content.decode()
    en = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Jingjinji Battery Trace" in en.content.decode()


class _Echo(BulkAPIView):
    """Creates each item that has a name; the others fail with a field message."""

    def process(self, items, request):
        return [
            item_result(i, CREATED, name=item["name"])
            if isinstance(item, dict) and item.get("name")
            else item_result(i, ERROR, errors={"name": ["required"]})
            for i, item in enumerate(items)
        ]


@pytest.fixture
def bulk(make_user):
    user = make_user()
    factory = APIRequestFactory()

    def post(body, key=None):
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        request = factory.post("/api/v1/echo/", body, format="json", **headers)
        force_authenticate(request, user=user)
        return _Echo.as_view()(request)

    return post


def test_bulk_answers_per_item(bulk):
    response = bulk({"items": [{"name": "a"}, {}, {"name": "c"}]})
    assert response.status_code == 200
    assert response.data["summary"] == {"total": 3, "created": 2, "unchanged": 0, "error": 1}
    assert response.data["results"][1]["errors"] == {"name": ["required"]}


@pytest.mark.parametrize("body", [[], {"rows": []}, {"items": "x"}, {"items": []}])
def test_bulk_malformed_envelope_is_400(bulk, body):
    response = bulk(body)
    assert response.status_code == 400
    assert response.data["error"]["code"] == "parse_error"


def test_bulk_oversized_envelope_is_413(bulk, settings):
    settings.BULK_MAX_ITEMS = 3
    response = bulk({"items": [{"name": str(i)} for i in range(4)]})
    assert response.status_code == 413
    assert "at most 3" in response.data["error"]["message"]


def test_idempotency_key_replays_first_answer(bulk):
    first = bulk({"items": [{"name": "a"}]}, key="k1")
    again = bulk({"items": [{"name": "a"}]}, key="k1")
    assert again.data == first.data
    assert again["Idempotent-Replay"] == "true"
    assert IdempotencyRecord.objects.count() == 1


def test_idempotency_key_with_other_body_is_refused(bulk):
    bulk({"items": [{"name": "a"}]}, key="k2")
    response = bulk({"items": [{"name": "b"}]}, key="k2")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.data["error"]["fields"]


def test_docker_compose_services_and_wiring():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("postgres", "redis", "web", "worker", "beat", "simulator"):
        assert name in services, name
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert set(services[name]["depends_on"]) >= {"postgres", "redis"}
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], name
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]
    assert {"pgdata"} <= set(compose["volumes"])


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "LEDGER_SIGNING_KEY": secrets.token_hex(32),
        "ALLOWED_HOSTS": "trace.example.cn",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_secret():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_navigation_fits_the_role(client, make_user, make_regulator):
    regulator, enterprise = make_regulator(), make_user()
    labels = {str(e["label"]) for e in menu_for(regulator)}
    assert "Supervision" in labels  # the regulators' dashboards
    enterprise_urls = {c["url"] for e in menu_for(enterprise) for c in e.get("children", [e])}
    assert not any(url.startswith("/dashboards/") for url in enterprise_urls)
    client.force_login(regulator)
    assert 'class="dropdown-menu"' in client.get("/").content.decode()


def test_error_pages_are_the_platforms_own(client, db):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404
    assert "返回首页" in response.content.decode()


def test_role_labels_keep_their_own_meaning(db):

    with translation.override("zh-hans"):
        assert str(Role.OPERATOR.label) == "操作员"


def test_models_and_migrations_agree(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
