"""The tenancy rules of core.tenancy, positive and negative, on a real model (vehicles)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.http import Http404

from accounts.models import Organisation
from core import tenancy
from core.errors import Forbidden
from core.tenancy import TenancyRule
from traceability.models import Vehicle

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, make_regulator):
    bj_maker, tj_maker = make_user(region="BJ"), make_user(region="TJ")
    bj_car = Vehicle.objects.create(vin="LGX6LVEM37JR9P02X", automaker=bj_maker.organisation, region="BJ")
    tj_car = Vehicle.objects.create(vin="LB34GGW22MCY2U719", automaker=tj_maker.organisation, region="TJ")
    return {
        "bj_maker": bj_maker,
        "tj_maker": tj_maker,
        "bj_car": bj_car,
        "tj_car": tj_car,
        "bj_reg": make_regulator("BJ"),
        "tj_reg": make_regulator("TJ"),
    }


def _vins(qs):
    return set(qs.values_list("vin", flat=True))


def test_enterprise_sees_only_its_own(world):
    assert _vins(tenancy.visible(Vehicle.objects.all(), world["bj_maker"])) == {world["bj_car"].vin}
    assert _vins(tenancy.visible(Vehicle.objects.all(), world["tj_maker"])) == {world["tj_car"].vin}


def test_other_tenants_row_is_a_404_not_a_403(world):
    with pytest.raises(Http404):
        tenancy.get_visible_or_404(Vehicle.objects.all(), world["bj_maker"], vin=world["tj_car"].vin)
    with pytest.raises(Http404):
        tenancy.require_write(world["bj_maker"], world["tj_car"])


def test_enterprise_writes_its_own(world):
    tenancy.require_write(world["bj_maker"], world["bj_car"])
    assert tenancy.can_write(world["bj_maker"], world["bj_car"])


def test_regulator_reads_all_three_regions(world):
    assert _vins(tenancy.visible(Vehicle.objects.all(), world["bj_reg"])) == {
        world["bj_car"].vin,
        world["tj_car"].vin,
    }


def test_regulator_writes_only_its_region(world):
    assert _vins(tenancy.editable(Vehicle.objects.all(), world["bj_reg"])) == {world["bj_car"].vin}
    tenancy.require_write(world["bj_reg"], world["bj_car"])
    with pytest.raises(Forbidden):
        tenancy.require_write(world["bj_reg"], world["tj_car"])


def test_viewer_role_is_read_only(world, make_user):
    viewer = make_user(world["bj_maker"].organisation, role="viewer")
    assert _vins(tenancy.visible(Vehicle.objects.all(), viewer)) == {world["bj_car"].vin}
    assert not tenancy.editable(Vehicle.objects.all(), viewer).exists()


def test_anonymous_sees_nothing_without_a_public_rule(world):
    assert not tenancy.visible(Vehicle.objects.all(), AnonymousUser()).exists()
    assert not tenancy.editable(Vehicle.objects.all(), AnonymousUser()).exists()


def test_public_rule_opens_only_matching_rows(world, monkeypatch):
    monkeypatch.setattr(Vehicle, "tenancy", TenancyRule(owners=("automaker",), public=Q(region="TJ")))
    assert _vins(tenancy.visible(Vehicle.objects.all(), AnonymousUser())) == {world["tj_car"].vin}
    # an enterprise sees its own rows plus the public ones, and still writes only its own
    assert _vins(tenancy.visible(Vehicle.objects.all(), world["bj_maker"])) == {
        world["bj_car"].vin,
        world["tj_car"].vin,
    }
    assert _vins(tenancy.editable(Vehicle.objects.all(), world["bj_maker"])) == {world["bj_car"].vin}


def test_require_regulator(world):
    with pytest.raises(Forbidden):
        tenancy.require_regulator(world["bj_maker"])
    assert tenancy.require_regulator(world["tj_reg"]) == world["tj_reg"].organisation
    with pytest.raises(Forbidden):
        tenancy.require_regulator(world["tj_reg"], region="BJ", write=True)


def test_superuser_sees_and_writes_everything(world, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="x")
    assert tenancy.visible(Vehicle.objects.all(), admin).count() == 2
    assert tenancy.editable(Vehicle.objects.all(), admin).count() == 2


def test_model_without_rule_is_refused():
    with pytest.raises(TypeError):
        tenancy.visible(Organisation.objects.all(), AnonymousUser())
