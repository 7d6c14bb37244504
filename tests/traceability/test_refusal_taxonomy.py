"""Traceability refusals belong to the platform's taxonomy: their class says the answer's status, and the API's
one exception handler gives the taxonomy's body for them."""

import pytest

from core import errors
from traceability import services

from .test_custody import _retired_at_point, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def claim(client, pack, **body):
    return client.post("/api/v1/custody/claims/", {"battery_code": pack.code, **body}, format="json")


@pytest.mark.parametrize(
    ("cls", "family", "status"),
    [
        (services.TraceabilityForbidden, errors.Forbidden, 403),
        (services.TraceabilityNotFound, errors.NotFound, 404),
        (services.TraceabilityConflict, errors.Conflict, 409),
    ],
)
def test_each_refusal_is_of_its_taxonomy_class(cls, family, status):
    refusal = cls("no", field="battery_code", code="rule")
    assert isinstance(refusal, family) and isinstance(refusal, services.TraceabilityError)
    assert refusal.http_status == status


def test_invalid_input_names_the_field_and_a_refused_rule_does_not():
    assert services.TraceabilityError("not a number", field="mass_kg").http_status == 400
    assert services.TraceabilityError("a rule", field="kind").http_status == 422
    assert isinstance(services.TraceabilityError("x"), errors.Invalid)


def test_a_claim_of_ones_own_battery_answers_409_with_the_rule(world, client_for):  # noqa: F811
    pack = _retired_at_point(world)
    holder = client_for(world["users"]["point"])
    r = claim(holder, pack, reason="mine", found_at="2025-02-01")
    assert r.status_code == 409
    assert (
        r.json()["error"]["code"] == "custody.claim_own"
        and "already in your custody" in r.json()["error"]["message"]
    )


def test_a_bad_time_answers_400_naming_the_field(world, client_for):  # noqa: F811
    pack = _retired_at_point(world)
    finder = client_for(world["users"]["automaker"])
    r = claim(finder, pack, reason="left by a repairer", found_at="not a date")
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == ["found_at"]


def test_an_unknown_battery_answers_404(world, client_for):  # noqa: F811
    r = client_for(world["users"]["point"]).post(
        "/api/v1/custody/releases/",
        {"battery_code": "NOPE", "to_uscc": world["automaker"].uscc},
        format="json",
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_a_non_maker_registering_codes_is_forbidden(world, client_for):  # noqa: F811
    r = client_for(world["users"]["automaker"]).post("/api/v1/batteries/", {"items": [{"code": "X"}]},
                                                     format="json")  # fmt: skip
    assert r.status_code == 403 and r.json()["error"]["status"] == 403
