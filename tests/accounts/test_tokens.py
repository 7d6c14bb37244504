"""API tokens: shown once, stored hashed, revocable, last-used time recorded."""

import pytest

from accounts.models import ApiToken
from accounts.services import api_token_issue, token_digest
from core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_token_is_stored_as_digest_only(make_user):
    issued = api_token_issue(owner=make_user())
    token = ApiToken.objects.get(pk=issued.token.pk)
    assert token.digest == token_digest(issued.raw)
    assert issued.raw not in {token.digest, token.prefix, token.name}


def test_token_authenticates_and_records_last_use(make_user, api_client):
    user = make_user()
    issued = api_token_issue(owner=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {issued.raw}")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at is not None


def test_bearer_keyword_is_accepted(make_user, api_client):
    issued = api_token_issue(owner=make_user())
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    assert api_client.get("/api/v1/me/").status_code == 200


def test_revoked_token_is_refused_with_json_error(make_user, client_for, api_client):
    user = make_user()
    issued = api_token_issue(owner=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {issued.raw}")
    assert api_client.post(f"/api/v1/tokens/{issued.token.prefix}/revoke/").status_code == 200
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
    assert AuditLog.objects.filter(action="revoke_token", object_id=str(issued.token.pk)).exists()


def test_unknown_token_is_refused(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token jjj_nothing_here")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_issue_through_api_returns_raw_value_once(make_user, client_for):
    user = make_user()
    client = client_for(user)
    created = client.post("/api/v1/tokens/", {"name": "erp"}, format="json")
    assert created.status_code == 201
    raw = created.json()["token"]
    listing = client.get("/api/v1/tokens/").json()
    assert all("token" not in t for t in listing)
    assert any(t["name"] == "erp" for t in listing)
    assert raw.startswith("jjj_")


def test_cannot_revoke_someone_elses_token(make_user, client_for):
    other = api_token_issue(owner=make_user())
    response = client_for(make_user()).post(f"/api/v1/tokens/{other.token.prefix}/revoke/")
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=other.token.pk).revoked_at is None
