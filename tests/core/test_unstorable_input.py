"""What PostgreSQL cannot store is refused where the request is read (R-API): NUL characters, lone surrogates
and non-finite numbers in a JSON body, a query string, a form or an uploaded CSV get a 400 naming the place, at
any depth, and nothing of the request is written."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
from rest_framework.exceptions import ParseError, ValidationError

from accounts.models import ApiToken
from core.api.parsers import StrictJSONParser
from core.tabular import TabularError, read_rows
from tests.alliance import factories as alliance
from tests.traceability.factories import register_pack
from traceability.models import LifecycleEvent


@pytest.mark.parametrize(
    ("body", "place", "words"),
    [
        ('{"note": "a\\u0000b"}', "note", "NUL"),
        ('{"items": [{"payload": {"x\\u0000": 1}}]}', "items[0].payload.x\\u0000", "NUL"),
        ('{"items": [1, ["\\ud800"]]}', "items[1][0]", "lone surrogate"),
        ('{"a": {"b": NaN}}', "a.b", "NaN is not valid JSON"),
        ("[Infinity]", "[0]", "Infinity is not valid JSON"),
        ('{"mass_kg": 1e999}', "mass_kg", "beyond the range of a number"),
        ('{"a": [-1.5e400]}', "a[0]", "beyond the range of a number"),
        ('"\\u0000"', "body", "NUL"),
    ],
)
def test_the_first_unstorable_place_is_named(body, place, words):
    with pytest.raises(ValidationError) as refused:
        StrictJSONParser().parse(io.BytesIO(body.encode()))
    [(named, [message])] = refused.value.detail.items()
    assert named == place and words in message


@pytest.mark.parametrize("depth", [33, 5000, 200_000])
def test_a_body_nested_beyond_the_limit_is_refused_whatever_the_depth(depth):
    """Python's decoder recurses once per level; past about a thousand it would fail with a server error."""
    body = ("[" * depth + "]" * depth).encode()
    with pytest.raises((ValidationError, ParseError), match="deeper than 32 levels"):
        StrictJSONParser().parse(io.BytesIO(body))


def test_a_body_nested_to_the_limit_is_read():
    body = '{"a": ' * 31 + "[1]" + "}" * 31  # 32 levels
    assert StrictJSONParser().parse(io.BytesIO(body.encode())) is not None


@pytest.mark.django_db
def test_a_deeply_nested_upload_is_a_400(maker_client):
    _, client = maker_client
    response = client.post(
        "/api/v1/events/", data="[" * 50_000 + "]" * 50_000, content_type="application/json"
    )
    assert response.status_code == 400
    assert "deeper than 32 levels" in response.json()["error"]["message"]


def test_a_body_that_can_be_stored_is_let_through():
    body = '{"note": "电池 ü \\ud83d\\udd0b", "items": [{"a": [1, 2.5, null, true, 1e308]}], "": ""}'
    assert StrictJSONParser().parse(io.BytesIO(body.encode())) == {
        "note": "电池 ü 🔋",
        "items": [{"a": [1, 2.5, None, True, 1e308]}],
        "": "",
    }


@pytest.fixture
def maker_client(make_org, make_user, client_for):
    maker = make_org(kinds=["battery_maker"])
    return maker, client_for(make_user(maker))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('"payload": {"note\\u0000": "x"}', "items[0].payload.note\\u0000"),
        ('"payload": {"note": "\\udc00"}', "items[0].payload.note"),
        ('"payload": {"mass_kg": NaN}', "items[0].payload.mass_kg"),
        ('"payload": {"mass_kg": 1e999}', "items[0].payload.mass_kg"),
    ],
)
def test_an_upload_with_an_unstorable_character_is_a_400_and_writes_nothing(
    maker_client, make_org, raw, field
):
    maker, client = maker_client
    pack = register_pack(maker)
    point = make_org(kinds=["service_operator"])
    before = LifecycleEvent.objects.count()
    item = f'"battery_code": "{pack.code}", "kind": "handed_over", "occurred_at": "2025-01-02", "to_uscc": "{point.uscc}"'
    body = '{"items": [{' + item + ", " + raw + "}]}"
    response = client.post("/api/v1/events/", data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert LifecycleEvent.objects.count() == before


@pytest.mark.django_db
def test_the_same_upload_with_a_clean_payload_is_written(maker_client, make_org):
    maker, client = maker_client
    pack = register_pack(maker)
    point = make_org(kinds=["service_operator"])
    item = {
        "battery_code": pack.code,
        "kind": "handed_over",
        "occurred_at": "2025-01-02",
        "to_uscc": point.uscc,
    }
    response = client.post("/api/v1/events/", {"items": [{**item, "payload": {"note": "ok"}}]}, format="json")
    assert response.json()["results"][0]["status"] == "created"


@pytest.mark.django_db
def test_the_valuation_api_refuses_a_nul_key_with_a_400(maker_client):
    _, client = maker_client
    response = client.post(
        "/api/v1/valuation/assess/", data='{"chemistry\\u0000": "LFP"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]["fields"]["chemistry\\u0000"][0]


def test_a_csv_with_a_nul_character_is_refused_naming_its_line():
    upload = io.BytesIO(b"code,note\nP1,ok\nP2,a\x00b\n")
    upload.name = "packs.csv"
    with pytest.raises(TabularError, match="line 3 contains the NUL character"):
        read_rows(upload)


def test_a_csv_without_one_is_read():
    upload = io.BytesIO(b"code,note\nP1,=1+1\n")
    upload.name = "packs.csv"
    assert read_rows(upload) == [{"code": "P1", "note": "=1+1"}]


# Pages and query strings: the same refusal before any view reads the field.


@pytest.fixture
def member_client(client):
    org, user = alliance.member(kinds=["service_operator", "dismantler"], region="BJ")
    client.force_login(user)
    return org, user, client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/dashboards/search/?q=a%00b", "/alliance/guidance/?chemistry=%00", "/map/?q=%00"]
)
def test_a_nul_in_a_query_string_is_a_400_page_naming_the_field(client, make_regulator, url):
    client.force_login(make_regulator(region="BJ"))
    response = client.get(url, headers={"accept-language": "zh-hans"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请求未被受理" in page and "must not contain the NUL character" in page
    assert url.split("?")[1].split("=")[0] + ":" in page


@pytest.mark.django_db
def test_a_nul_in_an_api_query_string_is_a_400_in_the_api_shape(maker_client):
    _, client = maker_client
    response = client.get("/api/v1/batteries/", {"code": "P\x00"})
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]["fields"]["code"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("multipart", [True, False])
def test_a_nul_in_a_posted_form_is_a_400_and_nothing_is_written(member_client, multipart):
    _, user, client = member_client
    before = ApiToken.objects.filter(user=user).count()
    data = {"name": "laptop\x00"}
    response = (
        client.post("/accounts/tokens/issue/", data)
        if multipart
        else client.post(
            "/accounts/tokens/issue/", urlencode(data), content_type="application/x-www-form-urlencoded"
        )
    )
    assert response.status_code == 400
    assert "name: must not contain the NUL character" in response.content.decode()
    assert ApiToken.objects.filter(user=user).count() == before


@pytest.mark.django_db
def test_the_same_form_without_it_issues_the_token(member_client):
    _, user, client = member_client
    before = ApiToken.objects.filter(user=user).count()
    client.post("/accounts/tokens/issue/", {"name": "laptop"})
    assert ApiToken.objects.filter(user=user).count() == before + 1


@pytest.mark.django_db
@pytest.mark.parametrize("bid", ["abc", "1\x00", "١", "9" * 40, ""])
def test_a_posted_record_id_that_is_not_a_number_is_a_400_naming_the_field(member_client, bid):
    org, user, client = member_client
    lot = alliance.lot(seller_user=user, batteries=[alliance.battery(custodian=org, maker=org)])
    response = client.post(f"/alliance/lots/{lot.pk}/accept/", {"bid": bid})
    assert response.status_code == 400
    assert "bid" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["claim", "release", "declaration"])
def test_the_custody_page_refuses_a_malformed_record_id(member_client, field):
    _, _, client = member_client
    response = client.post("/custody/", {field: "x1"})
    assert response.status_code == 400
    assert f"{field}: expected the number of a record" in response.content.decode()
