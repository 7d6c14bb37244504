"""Membership: applications decided by the secretariat; public and members-only directory (R-ALLIANCE)."""

import pytest

from alliance.models import Membership

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretariat(make_user):
    return make_user(kinds=("alliance_secretariat", "research"))


def apply(client, **extra):
    return client.post(
        "/api/v1/alliance/applications/",
        {"tier": "member", "statement": "we dismantle", "contact_phone": "010-1234", **extra},
        format="json",
    )


def test_apply_and_secretariat_approves(make_user, client_for, secretariat):
    applicant = make_user(kinds=("dismantler",))
    r = apply(client_for(applicant))
    assert r.status_code == 201 and r.json()["status"] == "applied"
    assert apply(client_for(applicant)).status_code == 400  # no second pending application
    pk = r.json()["id"]
    r = client_for(secretariat).post(
        f"/api/v1/alliance/memberships/{pk}/decide/", {"approve": True}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert Membership.objects.get(pk=pk).member_since is not None


def test_only_the_secretariat_decides(make_user, client_for):
    applicant = make_user(kinds=("dismantler",))
    pk = apply(client_for(applicant)).json()["id"]
    assert (
        client_for(applicant)
        .post(f"/api/v1/alliance/memberships/{pk}/decide/", {"approve": True}, format="json")
        .status_code
        == 403
    )
    stranger = make_user(kinds=("automaker",))
    assert (
        client_for(stranger)
        .post(f"/api/v1/alliance/memberships/{pk}/decide/", {"approve": True}, format="json")
        .status_code
        == 404
    )


def test_regulators_cannot_apply(make_regulator, client_for):
    assert apply(client_for(make_regulator())).status_code == 403


def test_directory_public_and_members_only_parts(api_client, client_for, make_user):
    org, user = f.member(kinds=("cascade_use",))
    hidden, _ = f.member(kinds=("dismantler",))
    Membership.objects.filter(organisation=hidden).update(listed_publicly=False)
    public = api_client.get("/api/v1/alliance/directory/").json()
    assert [e["organisation"]["uscc"] for e in public["results"]] == [org.uscc]
    assert "contact_phone" not in public["results"][0]
    members = client_for(user).get("/api/v1/alliance/directory/").json()
    assert members["count"] == 2
    assert members["results"][0]["contact_phone"] == "010-0000"
    outsider = client_for(make_user(kinds=("automaker",))).get("/api/v1/alliance/directory/").json()
    assert outsider["count"] == 1 and "contact_phone" not in outsider["results"][0]


def test_tiers_and_fees_are_data(api_client):
    tiers = {t["code"]: t for t in api_client.get("/api/v1/alliance/tiers/").json()}
    assert tiers["council"]["annual_fee_cny"] == "50000.00"
    assert set(tiers) == {"council", "member", "observer"}
