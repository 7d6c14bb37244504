"""Trusted proxy headers (R-AUDIT): the audit trail believes X-Forwarded-For only from our own proxies
(TRUSTED_PROXIES), and no value of it can make an audited write fail."""

import pytest
from django.test import RequestFactory

from core.audit import RequestContext, audit_log, client_ip, reset_request_context, set_request_context
from core.models import AuditLog
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _issue_token(client, **headers):
    return client.post("/api/v1/tokens/", {"name": "ci"}, format="json", **headers)


def _last_ip():
    return AuditLog.objects.filter(action="issue_token").latest("id").ip_address


@pytest.mark.parametrize(
    "forwarded", ["not-an-ip", "'; DROP TABLE x; --", "999.1.1.1", "1.2.3.4, <script>", ""]
)
def test_an_audited_write_with_a_bad_forwarded_for_succeeds(client_for, forwarded):
    client = client_for(UserFactory())
    response = _issue_token(client, HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 201, response.content
    assert _last_ip() == "127.0.0.1"


def test_forwarded_for_from_an_untrusted_peer_is_ignored(client_for, settings):
    settings.TRUSTED_PROXIES = []
    assert _issue_token(client_for(UserFactory()), HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 201
    assert _last_ip() == "127.0.0.1"


def test_forwarded_for_from_a_trusted_proxy_names_the_client(client_for, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    client = client_for(UserFactory())
    headers = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.5, 198.51.100.9, 10.0.0.3"}
    assert _issue_token(client, **headers).status_code == 201
    assert _last_ip() == "198.51.100.9"  # the hop our proxies saw; what the client itself claims is not proof


def test_a_forged_entry_behind_a_trusted_proxy_falls_back_to_the_proxy(client_for, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    headers = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "not-an-ip"}
    assert _issue_token(client_for(UserFactory()), **headers).status_code == 201
    assert _last_ip() == "10.0.0.2"


def test_client_ip_without_a_usable_peer():
    request = RequestFactory().get("/", REMOTE_ADDR="garbage", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert client_ip(request) is None


def test_audit_log_never_fails_over_the_context_address():
    token = set_request_context(RequestContext(ip="not-an-ip"))
    try:
        audit_log(action="probe", object_type="test", object_id="1")
    finally:
        reset_request_context(token)
    assert AuditLog.objects.get(action="probe").ip_address is None
