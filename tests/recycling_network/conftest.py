import pytest

from tests.factories import OrganisationFactory, UserFactory

from .factories import make_point


@pytest.fixture
def operator(db):
    return OrganisationFactory(kinds=["service_operator"], region="BJ")


@pytest.fixture
def automaker(db):
    return OrganisationFactory(kinds=["automaker"], region="BJ")


@pytest.fixture
def point(operator, automaker):
    return make_point(operator=operator, automakers=[automaker])


@pytest.fixture
def operator_user(operator):
    return UserFactory(organisation=operator)
