"""Authorisations granted and revoked by battery makers over the API and the web; tenancy of products;
the enterprise's queue pages render."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cascade_use.models import Authorisation
from cascade_use.services import authorisation_revoke
from core.errors import Forbidden
from tests.cascade_use.factories import assess, authorise, battery_maker, cascade_enterprise, held_pack, now
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def grant_body(enterprise, **kw):
    today = timezone.localdate()
    return {
        "enterprise": enterprise.uscc,
        "chemistries": ["E"],
        "product_types": ["P", "M"],
        "valid_from": str(today),
        "valid_to": str(today + timedelta(days=365)),
        "document_ref": "CATL-TC-001",
        **kw,
    }


def test_battery_maker_grants_and_revokes_over_the_api(client_for):
    maker, enterprise = battery_maker(), cascade_enterprise()
    api = client_for(UserFactory(organisation=maker))
    r = api.post("/api/v1/cascade/authorisations/", grant_body(enterprise), format="json")
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    # the enterprise sees it; an unrelated enterprise does not
    assert (
        client_for(UserFactory(organisation=enterprise))
        .get("/api/v1/cascade/authorisations/")
        .json()["count"]
        == 1
    )
    stranger = client_for(UserFactory(organisation=cascade_enterprise()))
    assert stranger.get(f"/api/v1/cascade/authorisations/{pk}/").status_code == 404
    # another maker cannot revoke it
    other = client_for(UserFactory(organisation=battery_maker()))
    assert other.post(f"/api/v1/cascade/authorisations/{pk}/revoke/", {}, format="json").status_code == 404
    r = api.post(f"/api/v1/cascade/authorisations/{pk}/revoke/", {"reason": "ended"}, format="json")
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert api.get("/api/v1/cascade/authorisations/?status=revoked").json()["count"] == 1


def test_only_a_battery_maker_may_grant(client_for):
    enterprise = cascade_enterprise()
    r = client_for(UserFactory(organisation=enterprise)).post(
        "/api/v1/cascade/authorisations/", grant_body(enterprise), format="json"
    )
    assert r.status_code == 403


def test_grant_to_a_non_cascade_enterprise_is_refused(client_for):
    maker = battery_maker()
    r = client_for(UserFactory(organisation=maker)).post(
        "/api/v1/cascade/authorisations/", grant_body(battery_maker()), format="json"
    )
    assert r.status_code == 422 and "is not a cascade-use enterprise" in r.json()["error"]["message"]


def test_repurpose_refusal_over_the_api_names_what_is_missing(client_for):
    maker, enterprise = battery_maker(), cascade_enterprise()
    pack = held_pack(maker=maker, holder=enterprise)
    assess(pack, enterprise)
    api = client_for(UserFactory(organisation=enterprise))
    body = {
        "sources": [pack.code],
        "scenario": "grid_storage",
        "name": "Storage cabinet",
        "site": "Langfang",
        "site_region": "HB",
        "operator": "State Grid",
        "commissioned_at": (now() - timedelta(hours=1)).isoformat(),
    }
    r = api.post("/api/v1/cascade/products/", body, format="json")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "authorisation_missing"
    authorise(maker, enterprise)
    r = api.post("/api/v1/cascade/products/", body, format="json")
    assert r.status_code == 201, r.json()
    product = r.json()
    assert product["sources"][0]["code"] == pack.code and product["code"].endswith("T")
    assert api.get(f"/api/v1/cascade/products/?source={pack.code}").json()["count"] == 1
    stranger = client_for(UserFactory(organisation=cascade_enterprise()))
    assert stranger.get(f"/api/v1/cascade/products/{product['id']}/").status_code == 404


def test_assessment_of_a_pack_not_visible_is_a_field_error(client_for):
    pack = held_pack(maker=battery_maker(), holder=cascade_enterprise())
    api = client_for(UserFactory(organisation=cascade_enterprise()))
    r = api.post("/api/v1/cascade/assessments/", {"battery": pack.code}, format="json")
    assert r.status_code == 400


def test_pages_render_queues_and_maker_grants_on_the_web():
    maker, enterprise = battery_maker(), cascade_enterprise()
    pack = held_pack(maker=maker, holder=enterprise)
    web = Client()
    web.force_login(UserFactory(organisation=enterprise))
    page = web.get("/cascade/")
    assert page.status_code == 200 and pack.code in page.content.decode()
    assert web.get(f"/cascade/assess/{pack.code}/").status_code == 200
    assert web.get("/cascade/products/?export=csv").status_code == 200
    maker_web = Client()
    maker_web.force_login(UserFactory(organisation=maker))
    today = timezone.localdate()
    r = maker_web.post(
        "/cascade/authorisations/",
        {
            "enterprise": enterprise.pk,
            "kind": "authorisation",
            "valid_from": str(today),
            "valid_to": str(today - timedelta(days=1)),
            "document_ref": "X-1",
        },
    )
    assert r.status_code == 200 and "the validity ends before it starts" in r.content.decode()
    r = maker_web.post(
        "/cascade/authorisations/",
        {
            "enterprise": enterprise.pk,
            "kind": "authorisation",
            "valid_from": str(today),
            "valid_to": str(today + timedelta(days=9)),
            "document_ref": "X-2",
        },
    )
    assert (
        r.status_code == 302
        and Authorisation.objects.filter(document_ref="X-2", battery_maker=maker).exists()
    )


def test_only_the_granting_maker_revokes_whoever_calls_the_service(client_for):
    maker, enterprise = battery_maker(), cascade_enterprise()
    authorisation = authorise(maker, enterprise)
    with pytest.raises(Forbidden, match="granting battery maker"):
        authorisation_revoke(authorisation=authorisation, actor=UserFactory(organisation=enterprise))
    with pytest.raises(Forbidden):
        authorisation_revoke(
            authorisation=authorisation, actor=UserFactory(organisation=maker, role="viewer")
        )
    authorisation_revoke(authorisation=authorisation, actor=UserFactory(organisation=maker), reason="ended")
    authorisation.refresh_from_db()
    assert authorisation.revoked_at is not None
    # the holding enterprise sees the authorisation but its revoke request is refused with 403
    api = client_for(UserFactory(organisation=enterprise))
    other = authorise(maker, enterprise)
    r = api.post(f"/api/v1/cascade/authorisations/{other.pk}/revoke/", {"reason": "x"}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
