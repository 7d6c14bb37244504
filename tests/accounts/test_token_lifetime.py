"""API tokens expire (API_TOKEN_MAX_AGE) and are rotated by ``manage.py rotate_api_tokens``."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_issue
from core.models import AuditLog
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_token_expires_after_the_configured_age(settings):
    settings.API_TOKEN_MAX_AGE = timedelta(days=30)
    token = api_token_issue(owner=UserFactory()).token
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


def test_an_expired_token_is_refused(api_client):
    issued = api_token_issue(owner=UserFactory())
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {issued.raw}")
    assert api_client.get("/api/v1/me/").status_code == 200
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


def _rotate(*args) -> list[list[str]]:
    out = StringIO()
    call_command("rotate_api_tokens", *args, stdout=out, stderr=StringIO())
    return [line.split("\t") for line in out.getvalue().splitlines()]


def test_rotation_replaces_tokens_due_and_revokes_the_old(api_client):
    user = UserFactory()
    due = api_token_issue(owner=user, name="erp").token
    ApiToken.objects.filter(pk=due.pk).update(expires_at=timezone.now() + timedelta(days=3))
    fresh = api_token_issue(owner=user, name="fresh").token
    lines = _rotate("--within-days", "14")
    assert [(u, name, prefix) for u, name, prefix, _raw in lines] == [(user.username, "erp", due.prefix)]
    due.refresh_from_db()
    fresh.refresh_from_db()
    assert due.revoked_at is not None and fresh.revoked_at is None
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {lines[0][3]}")
    assert api_client.get("/api/v1/me/").json()["username"] == user.username
    replacement = ApiToken.objects.get(user=user, name="erp", revoked_at__isnull=True)
    assert replacement.expires_at > timezone.now() + timedelta(days=14)
    assert AuditLog.objects.filter(action="rotate_token", object_id=str(due.pk)).exists()


def test_rotation_with_grace_keeps_the_old_token_briefly(api_client):
    issued = api_token_issue(owner=UserFactory(), name="erp")
    [[*_, new_raw]] = _rotate("--prefix", issued.token.prefix, "--grace-hours", "2")
    old = ApiToken.objects.get(pk=issued.token.pk)
    assert old.revoked_at is None
    assert old.expires_at <= timezone.now() + timedelta(hours=2)
    for raw in (issued.raw, new_raw):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        assert api_client.get("/api/v1/me/").status_code == 200


def test_tokens_without_expiry_are_due_and_dry_run_changes_nothing():
    issued = api_token_issue(owner=UserFactory())
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=None)
    lines = _rotate("--dry-run")
    assert [line[2] for line in lines] == [issued.token.prefix]
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is None
    assert ApiToken.objects.count() == 1


def test_rotating_an_unknown_prefix_is_an_error():
    with pytest.raises(CommandError):
        _rotate("--prefix", "nope")
