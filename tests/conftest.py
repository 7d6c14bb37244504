import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_issue
from tests.factories import OrganisationFactory, RegulatorFactory, UserFactory


def token_client(user) -> APIClient:
    """An API client authenticated by a real token, as an enterprise's system would be."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user).raw}")
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
