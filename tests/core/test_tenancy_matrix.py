"""The role x endpoint tenancy matrix, generated from the OpenAPI document (R-TENANT): every list and detail
endpoint of the API, as two tenants of every enterprise kind and as the regulators of Beijing and of
Tianjin, over the demo world.

A leak is any of:
- a list row the caller may not read under ``core.tenancy`` (a view that bypasses or widens the rules);
- a detail answered with 200 for a row the caller may not read.
Each failure names the request that leaked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest
from django.urls import resolve
from rest_framework.test import APIClient

from accounts.services import api_token_issue
from core import tenancy
from tests.core.tenancy_sweep import DetailSweep, demo_users

pytestmark = [pytest.mark.django_db, pytest.mark.sweep]

PARAM = re.compile(r"\{([^}]+)\}")
DETAIL_SAMPLES = 2  # rows per (endpoint, caller) that the caller may not read, asked for by key


@dataclass
class Caller:
    label: str
    user: object
    client: APIClient = field(init=False)

    def __post_init__(self):
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(owner=self.user).raw}")


@dataclass
class Endpoint:
    path: str
    model: type
    lookup: str  # model field the URL's parameter names
    row_key: str  # key of that value in a list row


def _view_class(path: str):
    concrete = PARAM.sub("1", path)
    func = resolve(concrete).func
    return getattr(func, "cls", None)


def _model_of(cls):
    queryset = getattr(cls, "queryset", None)
    if queryset is not None:
        return queryset.model
    meta = getattr(getattr(cls, "serializer_class", None), "Meta", None)
    return getattr(meta, "model", None)


def _endpoints(openapi: dict) -> tuple[list[Endpoint], list[Endpoint], list[str]]:
    """(list endpoints, detail endpoints, GET paths whose rows cannot be tied to a model)."""
    lists, details, untied = [], [], []
    gets = [p for p, ops in openapi["paths"].items() if "get" in ops]
    for path in gets:
        params = PARAM.findall(path)
        if len(params) > 1 or (params and not path.endswith(f"{{{params[0]}}}/")):
            continue  # sub-resources of a row: covered through their parent's detail
        cls = _view_class(path)
        model = _model_of(cls) if cls else None
        if model is None or getattr(model, "tenancy", None) is None:
            untied.append(path)
            continue
        lookup = getattr(cls, "lookup_field", "pk")
        if params:
            details.append(Endpoint(path, model, lookup, lookup))
        else:
            detail_cls = _detail_sibling(path, gets)
            key = getattr(detail_cls, "lookup_field", "pk") if detail_cls else "pk"
            lists.append(Endpoint(path, model, key, "id" if key == "pk" else key))
    return lists, details, untied


def _detail_sibling(path: str, gets: list[str]):
    for other in gets:
        rest = other[len(path) :]
        if other.startswith(path) and re.fullmatch(r"\{[^}]+\}/", rest):
            return _view_class(other)
    return None


def _rows(response) -> list[dict]:
    body = response.json()
    rows = body.get("results", body) if isinstance(body, dict) else body
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


@pytest.fixture
def openapi(client) -> dict:
    return json.loads(client.get("/api/schema/", {"format": "json"}).content)


@pytest.fixture
def callers(db) -> list[Caller]:
    return [Caller(label, user) for label, user in demo_users()]


def test_no_endpoint_leaks_a_row_across_tenants_or_regions(openapi, callers):
    lists, details, untied = _endpoints(openapi)
    assert len(lists) >= 20 and len(details) >= 15, (lists, details)
    sweep = DetailSweep(samples=DETAIL_SAMPLES)
    leaks = sweep.leaks
    rows_checked = 0
    for caller in callers:
        for ep in lists:
            url = f"{ep.path}?page_size=200"
            response = caller.client.get(url)
            if response.status_code != 200:
                continue
            keys = {row[ep.row_key] for row in _rows(response) if ep.row_key in row}
            if not keys:
                continue
            lookup = "pk" if ep.row_key == "id" else ep.lookup
            rows = ep.model._default_manager.filter(**{f"{lookup}__in": keys})
            pks = set(rows.values_list("pk", flat=True))
            readable = set(tenancy.visible(rows, caller.user).values_list("pk", flat=True))
            rows_checked += len(pks)
            for pk in sorted(pks - readable):
                leaks.append(
                    f"{caller.label}: GET {url} returned {ep.model.__name__} pk={pk} it may not read"
                )
        for ep in details:
            sweep.check(label=caller.label, client=caller.client, user=caller.user, model=ep.model,
                        url_of=lambda row, ep=ep: PARAM.sub(str(getattr(row, ep.lookup)), ep.path))  # fmt: skip
    # The sweep must have looked at something on each side, or it proves nothing.
    assert rows_checked > 200 and sweep.refused > 50 and sweep.opened > 20, (
        rows_checked,
        sweep.refused,
        sweep.opened,
        untied,
    )
    assert not leaks, "\n".join(leaks)
