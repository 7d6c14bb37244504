"""A bounded schemathesis run over the whole OpenAPI document (R-API): every operation, with an enterprise's
token and with a regulator's, a fixed seed and a few examples each, drawn from the schema (positive) and against
it (negative: wrong types, missing fields, values out of range); no answer may be a server error, and no write
that succeeds may leave the audit trail without an entry.

Requests go through Django's test client inside the test's transaction, each in a savepoint that is rolled
back, so a generated write neither leaks into the next case nor poisons the transaction. Operations whose
schema cannot be turned into examples are reported, not failed: the document may grow faster than this run.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from django.db import connection, transaction
from django.test import Client
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode

from accounts.choices import EnterpriseKind
from accounts.services import api_token_issue
from core import tenancy
from core.models import AuditLog
from tests.alliance import factories as alliance
from tests.factories import RegulatorFactory, UserFactory
from tests.recycling_network.factories import make_point

pytestmark = [pytest.mark.django_db, pytest.mark.sweep]

SEED = 20260401
EXAMPLES_PER_OPERATION = 3
BASE_URL = "http://testserver"
PARAM = re.compile(r"\{([^}]+)\}")
RUN_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
    print_blob=False,
)


@pytest.fixture
def openapi(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


@dataclass
class Caller:
    user: object
    token: str


@pytest.fixture
def callers() -> dict[str, Caller]:
    """Per role a user and a raw token: an enterprise of every kind (so kind checks let most writes through to
    their validation), an alliance member holding a service point, packs and a listed lot; and a regulator."""
    every_kind = [kind for kind, _ in EnterpriseKind.choices]
    org, enterprise = alliance.member(kinds=every_kind, region="BJ")
    make_point(operator=org, automakers=[org], region="BJ")
    packs = [alliance.battery(custodian=org, maker=org) for _ in range(2)]
    alliance.lot(seller_user=enterprise, batteries=packs[:1])
    regulator = UserFactory(organisation=RegulatorFactory(region="BJ"))
    return {
        "enterprise": Caller(enterprise, api_token_issue(owner=enterprise).raw),
        "regulator": Caller(regulator, api_token_issue(owner=regulator).raw),
    }


def real_keys(operation, user) -> dict | None:
    """For an operation on one row (``/lots/{id}/...``), the key of a row the caller may read, so that some
    examples reach past the 404 into the view; None when the row's model cannot be told from the URL."""
    names = PARAM.findall(operation.path)
    if len(names) != 1:
        return None
    row_path = operation.path[: operation.path.index("{")] + "1/"
    try:
        cls = getattr(resolve(row_path).func, "cls", None)
    except Resolver404:
        return None
    queryset = getattr(cls, "queryset", None)
    if queryset is None or getattr(queryset.model, "tenancy", None) is None:
        return None
    row = tenancy.visible(queryset.model._default_manager.order_by("pk"), user).first()
    if row is None:
        return None
    return {names[0]: str(getattr(row, getattr(cls, "lookup_field", "pk")))}


def _request(case, token: str) -> tuple[str, dict]:
    """Schemathesis's case as the arguments of Django's test client (the exact bytes requests would send)."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    kwargs.pop("cookies", None)
    headers = {
        k: v for k, v in kwargs.pop("headers", {}).items() if k.lower() not in {"authorization", "cookie"}
    }
    prepared = requests.Request(headers=headers, **kwargs).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    extra = {
        "data": body.encode() if isinstance(body, str) else body,
        "content_type": prepared.headers.get("Content-Type", "application/octet-stream"),
        "QUERY_STRING": url.query,
        "HTTP_AUTHORIZATION": f"Token {token}",
    }
    return url.path, {"method": prepared.method, **extra}


def _describe(method: str, path: str, extra: dict, response) -> str:
    query = f"?{extra['QUERY_STRING']}" if extra["QUERY_STRING"] else ""
    body = extra["data"][:300]
    cause = ""
    if getattr(response, "exc_info", None):
        exc = response.exc_info[1]
        cause = f" <- {type(exc).__name__}: {str(exc)[:200]}"
    return f"{response.status_code} {method} {path}{query} body={body!r}{cause}"


# Tables a request writes to keep its own books, not the platform's records: the token's last use, the answer
# kept for a retry, the audit trail itself.
BOOKKEEPING = {"accounts_apitoken", "core_idempotencyrecord", "core_auditlog"}


def _rows_written() -> dict[str, int]:
    """Rows inserted, updated or deleted so far in this transaction, per table (PostgreSQL's own counts)."""
    with connection.cursor() as cur:
        cur.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables")
        return dict(cur.fetchall())


def _tables_written(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {t for t, n in after.items() if n != before.get(t, 0)} - BOOKKEEPING


def _exercise(operation, caller: Caller, client: Client, problems: list[str], mode: GenerationMode) -> None:
    keys = real_keys(operation, caller.user)
    examples = itertools.count()

    @seed(SEED)
    @RUN_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        if keys and next(examples) % 2 == 0:
            case.path_parameters = {**(case.path_parameters or {}), **keys}
        path, extra = _request(case, caller.token)
        method = extra.pop("method")
        with transaction.atomic():
            audited, written = AuditLog.objects.count(), _rows_written()
            response = client.generic(method, path, **extra)
            audited, written = AuditLog.objects.count() - audited, _tables_written(written, _rows_written())
            transaction.set_rollback(True)
        extra["method"] = method
        if response.status_code >= 500:
            problems.append(_describe(method, path, extra, response))
        elif written and not audited:
            problems.append(f"wrote {sorted(written)} unaudited: " + _describe(method, path, extra, response))

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("role", ["enterprise", "regulator"])
def test_no_operation_answers_with_a_server_error(openapi, callers, role, mode):
    schema = schemathesis.openapi.from_dict(openapi)
    client = Client(raise_request_exception=False)
    problems: list[str] = []
    exercised, unexercised = [], []
    for result in schema.get_all_operations():
        try:
            operation = result.ok()
        except Exception as exc:  # an operation the document describes too loosely to generate from
            unexercised.append(str(exc)[:120])
            continue
        try:
            _exercise(operation, callers[role], client, problems, mode)
        except Exception as exc:
            unexercised.append(f"{operation.label}: {type(exc).__name__}")
            continue
        exercised.append(operation.label)
    # Nearly the whole document must be exercised: an empty or broken run would pass vacuously. Against the
    # schema, an operation without parameters or body has nothing to break.
    assert len(exercised) >= (100 if mode is GenerationMode.POSITIVE else 90), (len(exercised), unexercised)
    assert not problems, "\n".join(problems)
