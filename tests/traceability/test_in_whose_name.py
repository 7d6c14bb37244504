"""An event is recorded in the name of the actor's own organisation (R-LIFE): a user of one enterprise cannot
name another as the one it acts for, through the core or through a sibling app's service; a platform
administrator can, and the trace names the enterprise."""

import pytest

from accounts.actors import platform_actor
from cascade_use.models import Authorisation, SafetyAssessment
from cascade_use.services import CascadeError, assessment_record, authorisation_grant
from core.errors import Forbidden
from tests.cascade_use.factories import (
    ASSESSMENT,
    authorise,
    battery_maker,
    cascade_enterprise,
    held_pack,
    now,
)
from tests.factories import UserFactory
from traceability import services
from traceability.models import Battery

from .factories import CHAIN, at, pack_in_vehicle, parties, refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_org, make_user):
    return parties(make_org, make_user, **CHAIN)


def test_a_user_cannot_record_an_event_in_another_enterprises_name(world):
    pack = pack_in_vehicle(world["maker"], world["automaker"])
    refused(
        "actor.other_organisation",
        services.event_record,
        battery=pack,
        kind="removed",
        actor=world["users"]["maker"],
        on_behalf_of=world["automaker"],
        occurred_at=at(2025, 1, 2),
    )
    fresh = Battery.objects.get(pk=pack.pk)
    assert (fresh.state, fresh.custodian_id) == ("in_vehicle", world["automaker"].pk)
    assert not pack.events.filter(kind="removed").exists()


def test_the_enterprises_own_user_and_a_platform_administrator_may_name_it(world):
    pack = pack_in_vehicle(world["maker"], world["automaker"])
    admin = UserFactory(organisation=None, is_superuser=True)
    event = services.event_record(battery=pack, kind="removed", actor=admin, on_behalf_of=world["automaker"],
                                  occurred_at=at(2025, 1, 2))  # fmt: skip
    assert event.actor_id == world["automaker"].pk and event.actor_user_id == admin.pk
    other = pack_in_vehicle(world["maker"], world["automaker"])
    own = services.event_record(battery=other, kind="removed", actor=world["users"]["automaker"],
                                on_behalf_of=world["automaker"], occurred_at=at(2025, 1, 2))  # fmt: skip
    assert own.actor_id == world["automaker"].pk


def test_only_the_battery_maker_grants_an_authorisation_in_its_name():
    maker, enterprise = battery_maker(), cascade_enterprise()
    for outsider in (
        UserFactory(organisation=enterprise),
        UserFactory(organisation=battery_maker(code="0B2")),
    ):
        with pytest.raises(Forbidden) as err:
            authorisation_grant(battery_maker=maker, enterprise=enterprise, valid_from=now().date(),
                                valid_to=now().date(), document_ref="FORGED-1", actor=outsider)  # fmt: skip
        assert err.value.code == "not_the_maker" and err.value.field == "battery_maker"
    assert not Authorisation.objects.exists()
    assert authorisation_grant(
        battery_maker=maker,
        enterprise=enterprise,
        valid_from=now().date(),
        valid_to=now().date(),
        document_ref="OWN-1",
        actor=platform_actor(maker),
    )


def test_a_cascade_user_assesses_only_in_its_own_name_and_only_what_it_holds():
    """The acting enterprise is the actor's own: there is no parameter to name another, so a second cascade-use
    enterprise's user cannot assess the holder's pack, and one of another kind cannot assess at all."""
    maker, holder, stranger = battery_maker(), cascade_enterprise(), cascade_enterprise()
    authorise(maker, holder)
    pack = held_pack(maker=maker, holder=holder)
    with pytest.raises(CascadeError) as err:
        assessment_record(battery=pack, assessed_at=now(), verdict="pass", **ASSESSMENT,
                          actor=UserFactory(organisation=stranger))  # fmt: skip
    assert (err.value.code, err.value.field) == ("not_held", "battery")
    with pytest.raises(Forbidden) as err:
        assessment_record(battery=pack, assessed_at=now(), verdict="pass", **ASSESSMENT,
                          actor=UserFactory(organisation=maker))  # fmt: skip
    assert err.value.code == "actor.kind"
    assert not SafetyAssessment.objects.filter(battery=pack).exists()
    assessment_record(battery=pack, assessed_at=now(), verdict="pass", **ASSESSMENT,
                      actor=UserFactory(organisation=holder))  # fmt: skip
    assert SafetyAssessment.objects.get(battery=pack).enterprise_id == holder.pk
