"""Production settings refuse to start without their secrets and pass ``check --deploy``; /metrics answers
only the configured scraper."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _production(command: list[str], **env) -> subprocess.CompletedProcess:
    # The suite sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment never does.
    dropped = {"SECRET_KEY", "LEDGER_SIGNING_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    full = {
        **base,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "ALLOWED_HOSTS": "trace.example.cn",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


SECRET = secrets.token_urlsafe(60)


def test_check_deploy_is_clean_with_production_settings():
    result = _production(
        ["check", "--deploy", "--fail-level", "WARNING"], SECRET_KEY=SECRET, LEDGER_SIGNING_KEY="ab" * 32
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("ledger_key", ["", "short", "zz" * 32])
def test_production_refuses_to_start_without_a_ledger_signing_key(ledger_key):
    result = _production(["check"], SECRET_KEY=SECRET, LEDGER_SIGNING_KEY=ledger_key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "LEDGER_SIGNING_KEY" in result.stderr


@pytest.mark.django_db
def test_metrics_without_a_token_answer_only_allowed_networks(client, settings):
    settings.NATIONAL_SYNC_METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.7").status_code == 403
    assert (
        client.get("/metrics", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="10.20.0.5").status_code
        == 403
    )
    ok = client.get("/metrics", REMOTE_ADDR="10.20.3.4")
    assert ok.status_code == 200 and b"jjj_national_outbox" in ok.content


@pytest.mark.django_db
def test_metrics_with_a_token_need_it_from_every_address(client, settings):
    settings.NATIONAL_SYNC_METRICS_TOKEN = "scrape-secret"
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200
