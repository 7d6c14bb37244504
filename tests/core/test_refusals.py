"""One mapping of a service's refusal to HTTP: the API's exception handler and the pages' middleware read the
refusal's class (its ``http_status``), whatever app raised it; the error body keeps the platform's shape."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from alliance.services import AllianceConflict, AllianceError
from cascade_use.services import CascadeError
from core.api.errors import exception_handler
from core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from core.pages import RefusalMiddleware, refusals
from dashboards.services import DashboardError
from recycling_network.services import CustodyConflict, NetworkError
from regeneration.services import RegenerationError
from valuation.services import ValuationError


def answer(exc):
    response = exception_handler(exc, {})
    return response.status_code, response.data["error"]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (CascadeError("no authorisation", field="battery_code", code="authorisation_missing"), 422),
        (RegenerationError("licence expired", field="battery", code="licence_expired"), 422),
        (DashboardError("the rule is met", field="rule"), 422),
        (Conflict("held elsewhere", code="custody"), 409),
        (CustodyConflict("held at another point"), 409),
        (AllianceConflict("bidding on this lot is closed", field="lot", code="closed"), 409),
        (Forbidden("your role is read-only"), 403),
        (NotFound("Not found."), 404),
    ],
)
def test_refusals_answer_their_status_with_code_and_message(error, status):
    code, body = answer(error)
    assert code == status == body["status"]
    assert body["code"] == error.code and body["message"] == error.message
    assert "fields" not in body


@pytest.mark.parametrize(
    "error",
    [
        NetworkError("bad district", field="district"),
        AllianceError("two reasons", field="items", reasons=["first", "second"]),
        ValuationError("use YYYY-MM-DD", field="valuation_date"),
    ],
)
def test_bad_input_answers_400_naming_the_field(error):
    code, body = answer(error)
    assert code == 400 and body["code"] == "invalid"
    assert body["fields"] == error.as_dict()
    assert body["message"].startswith(f"{error.field}: ")


def test_forbidden_keeps_the_permission_denied_code():
    code, body = answer(Forbidden("only regulators"))
    assert (code, body["code"], body["message"]) == (403, "permission_denied", "only regulators")


def test_an_error_carrying_its_own_status_is_answered_with_it():
    class Carried(ServiceError):
        def __init__(self, message, *, http_status):
            super().__init__(message, code="rule.x")
            self.http_status = http_status

    for status in (403, 404, 409, 422):
        assert answer(Carried("no", http_status=status))[0] == status


def test_every_app_error_is_in_the_taxonomy():
    for cls in (CascadeError, RegenerationError, DashboardError, NetworkError, AllianceError, ValuationError):
        assert issubclass(cls, Invalid)
    for cls in (CustodyConflict, AllianceConflict):
        assert issubclass(cls, Conflict)


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.parametrize(
    ("error", "page_exception"),
    [
        (Forbidden("no"), PermissionDenied),
        (NotFound("gone"), Http404),
        (CascadeError("no"), BadRequest),
        (CustodyConflict("held"), BadRequest),
    ],
)
def test_a_refusal_escaping_a_page_answers_403_404_or_400(error, page_exception):
    middleware = RefusalMiddleware(lambda request: None)
    with pytest.raises(page_exception):
        middleware.process_exception(_request(), error)
    assert middleware.process_exception(_request(), ValueError("not ours")) is None


class _Form(forms.Form):
    code = forms.CharField()


def test_a_page_shows_the_refusal_beside_the_field_at_fault():
    request, form = _request(), _Form({"code": "X"})
    assert form.is_valid()
    with refusals(request, form):
        raise CustodyConflict("held at another point")
    assert form.errors == {"code": ["held at another point"]}
    with refusals(request, form):
        raise Forbidden("your role is read-only")
    assert form.non_field_errors() == ["your role is read-only"]


def test_without_a_form_the_refusal_is_a_message_and_not_found_is_404():
    request = _request()
    with refusals(request):
        raise RegenerationError("licence expired")
    assert [m.message for m in get_messages(request)] == ["licence expired"]
    with pytest.raises(Http404), refusals(request):
        raise NotFound("gone")
    with pytest.raises(ValueError, match="not a refusal"), refusals(request):
        raise ValueError("not a refusal")
