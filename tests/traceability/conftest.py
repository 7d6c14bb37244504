import pytest


@pytest.fixture
def orgs(make_org):
    """A battery maker, an automaker and a service operator: the three parties of a pack's first steps."""
    return (
        make_org(kinds=["battery_maker"]),
        make_org(kinds=["automaker"]),
        make_org(kinds=["service_operator"]),
    )
