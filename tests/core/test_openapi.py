"""The OpenAPI document (R-API): generated with warnings as errors, valid, every body described, every
endpoint callable from Swagger UI with a token."""

import inspect

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from core.api import base

# Views whose request serializers are still being written; each must keep warning until it is described, and
# is then removed from here (the test below fails on a view listed here that no longer warns).
PENDING: dict[str, str] = {}
METHODS = ("get", "post", "put", "patch", "delete")
# Actions that take no body (``extend_schema(request=None)``); a write endpoint added without a described body
# fails below until its body is described or it is named here.
BODYLESS = {
    "POST /api/v1/alliance/bids/{id}/withdraw/",
    "POST /api/v1/alliance/guidance/{id}/publish/",
    "POST /api/v1/tokens/{prefix}/revoke/",
}


@pytest.fixture(scope="module")
def generated():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, messages


def _operations(schema):
    ops = [
        (f"{method.upper()} {path}", op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]
    assert len(ops) > 50  # the whole API, not an empty document
    return ops


def test_schema_generates_without_warnings_or_errors(generated):
    _, messages = generated
    unexpected = [m for m in messages if not any(view in m for view in PENDING)]
    assert unexpected == [], "\n".join(unexpected)


def test_pending_views_are_listed_only_while_they_warn(generated):
    _, messages = generated
    described = [view for view in PENDING if not any(view in m for m in messages)]
    assert described == [], f"described now, remove from PENDING: {described}"


def test_schema_is_valid_openapi(generated):
    schema, _ = generated
    validate_schema(schema)


def test_every_write_operation_describes_its_request_body(generated):
    schema, _ = generated
    missing = [
        name
        for name, op in _operations(schema)
        if name.split()[0] in ("POST", "PUT", "PATCH")
        and not op.get("requestBody", {}).get("content")
        and name not in BODYLESS | set(PENDING.values())
    ]
    assert missing == [], missing


def test_every_operation_describes_its_success_response(generated):
    schema, _ = generated
    missing = []
    for name, op in _operations(schema):
        if name in PENDING.values():
            continue
        ok = {code: r for code, r in op["responses"].items() if str(code).startswith("2")}
        # A body, or one declared empty (``responses={201: None}`` reads "No response body").
        if not any(r.get("content") or r.get("description") == "No response body" for r in ok.values()):
            missing.append(name)
    assert missing == [], missing


def test_every_authenticated_operation_accepts_the_api_token(generated):
    schema, _ = generated
    scheme = schema["components"]["securitySchemes"]["ApiToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    without = [
        name
        for name, op in _operations(schema)
        if {} not in op.get("security", [{}]) and not any("ApiToken" in s for s in op["security"])
    ]
    assert without == [], without


def test_no_operation_is_described_by_the_classes_its_view_is_built_on(generated):
    """A view without a docstring of its own has no description, rather than one that explains the code (the
    tenancy mixin, the audit mixin, the row-action base) to the API's users."""
    schema, _ = generated

    framework = [
        inspect.cleandoc(c.__doc__)[:40] for c in vars(base).values() if inspect.isclass(c) and c.__doc__
    ]
    assert framework
    borrowed = [
        name for name, op in _operations(schema) if (op.get("description") or "").startswith(tuple(framework))
    ]
    assert borrowed == [], borrowed


def test_every_operation_says_what_it_does(generated):
    schema, _ = generated
    undescribed = [name for name, op in _operations(schema) if not (op.get("description") or "").strip()]
    assert undescribed == [], undescribed
