"""Who acts (R-ROLE): the one check every app makes before a write in an organisation's name."""

import pytest

from accounts.actors import acting_for, acting_organisation, kind_of, platform_actor
from core.errors import Forbidden
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _refusal(*args, **kw) -> str:
    with pytest.raises(Forbidden) as err:
        acting_organisation(*args, **kw)
    assert err.value.field == "actor"
    return err.value.code


def test_the_acting_organisation_is_the_actors_own(make_user):
    user = make_user(kinds=("automaker", "battery_maker"))
    assert acting_organisation(user) == user.organisation
    assert acting_organisation(user, "battery_maker") == user.organisation
    assert acting_organisation(user, "dismantler", "automaker") == user.organisation
    assert acting_organisation(platform_actor(user.organisation), "automaker") == user.organisation


def test_refusals_name_the_rule(make_user, make_regulator):
    maker = make_user()
    assert _refusal(None) == "actor.organisation"
    assert _refusal(UserFactory(organisation=None)) == "actor.organisation"
    admin = UserFactory(organisation=None, is_superuser=True)
    with pytest.raises(Forbidden, match="platform administrator must act for an organisation"):
        acting_organisation(admin, "automaker")
    assert _refusal(make_user(maker.organisation, role="viewer")) == "actor.read_only"
    with pytest.raises(Forbidden, match="dismantler"):
        acting_organisation(maker, "dismantler")
    assert _refusal(maker, "dismantler") == "actor.kind"
    assert _refusal(make_regulator("BJ"), enterprise=True) == "actor.not_enterprise"
    assert acting_organisation(make_regulator("BJ")).is_regulator


def test_kind_of_answers_none_where_the_write_would_be_refused(make_user):
    maker = make_user()
    assert kind_of(maker, "automaker") == maker.organisation
    assert kind_of(maker, "dismantler") is None
    assert kind_of(make_user(maker.organisation, role="viewer"), "automaker") is None
    assert kind_of(None, "automaker") is None


def test_acting_for_another_organisation_needs_the_platform_or_an_administrator(make_user):
    maker, other = make_user(), make_user()
    assert acting_for(maker, maker.organisation) == maker.organisation
    assert acting_for(None, other.organisation) == other.organisation
    assert (
        acting_for(UserFactory(organisation=None, is_superuser=True), other.organisation)
        == other.organisation
    )
    with pytest.raises(Forbidden) as err:
        acting_for(maker, other.organisation)
    assert err.value.code == "actor.other_organisation"
