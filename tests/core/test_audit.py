"""The audit trail: writes are recorded with actor and address; each tenant sees only its own entries."""

import pytest

from accounts.services import api_token_issue
from core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_write_through_api_is_audited_with_actor_and_ip(make_user, client_for):
    user = make_user()
    client_for(user).post("/api/v1/tokens/", {"name": "erp"}, format="json", REMOTE_ADDR="10.1.2.3")
    entry = AuditLog.objects.filter(action="issue_token", changes__name="erp").get()
    assert entry.actor == user
    assert entry.organisation == user.organisation
    assert entry.ip_address == "10.1.2.3"


def test_enterprise_sees_only_its_own_audit_entries(make_user, client):
    mine, theirs = make_user(), make_user()
    api_token_issue(owner=mine, name="mine")
    api_token_issue(owner=theirs, name="theirs")
    client.force_login(mine)
    body = client.get("/audit/").content.decode()
    assert "mine" in body
    assert "theirs" not in body


def test_regulator_sees_all_and_exports(make_user, make_regulator, client):
    api_token_issue(owner=make_user(), name="someone")
    client.force_login(make_regulator())
    response = client.get("/audit/?action=issue_token&export=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("created_at,actor")
    assert "issue_token" in text


def test_audit_page_requires_login(client):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
