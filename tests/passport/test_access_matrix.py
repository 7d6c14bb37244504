"""The access-class matrix: for every field of the table and every caller class, the field is present exactly
when the table says so; the table is data, read at run time (EU 2023/1542 Art. 77, Annex XIII; R-PUBLIC)."""

import pytest

from passport import access, selectors

pytestmark = pytest.mark.django_db

CALLERS = ("anonymous", "stranger", "holder", "regulator")
EXPECTED_CLASS = {"anonymous": "public", "stranger": "public", "holder": "legitimate_interest",
                  "regulator": "authority"}  # fmt: skip


def _get(api_client, client_for, life, who, code):
    client = api_client if who == "anonymous" else client_for(life[who])
    response = client.get(f"/api/v1/passports/{code}/")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("which", ["pack", "product"])
def test_every_field_is_present_exactly_as_the_table_says(api_client, client_for, life, who, which):
    table = selectors.access_table()
    assert len(table.classes) >= 20  # an empty or truncated table fails here, not silently
    body = _get(api_client, client_for, life, who, life[which].code)
    cls = EXPECTED_CLASS[who]
    assert body["access_class"] == cls
    assert body["access_table"] == table.version
    for field, field_class in table.classes.items():
        should = access.CLASSES.index(cls) >= access.CLASSES.index(field_class)
        assert (field in body) is should, (field, field_class, cls)
    assert set(body) - set(table.classes) == set(access.META_KEYS)


def test_the_answer_depends_only_on_the_class(api_client, client_for, life, make_regulator):
    code = life["pack"].code
    other_regulator = make_regulator(region="BJ", department="transport")
    a = _get(api_client, client_for, life, "regulator", code)
    life["other"] = other_regulator
    b = _get(api_client, client_for, life, "other", code)
    assert a == b
    assert _get(api_client, client_for, life, "anonymous", code) == _get(
        api_client, client_for, life, "stranger", code
    )


def test_the_table_is_read_at_run_time_and_a_change_takes_effect(api_client, life, settings, tmp_path):
    table = tmp_path / "access-classes-v2.csv"
    table.write_text("field,access_class,note\ncode,public,\nmass_kg,authority,moved up\n", encoding="utf-8")
    settings.PASSPORT_ACCESS_TABLE = str(table)
    body = api_client.get(f"/api/v1/passports/{life['pack'].code}/").json()
    assert body["access_table"] == "access-classes-v2"
    assert (
        "code" in body and "mass_kg" not in body and "manufacturer" not in body
    )  # unclassed fields are closed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("field,access_class\n", "empty"),
        ("field,access_class\nmass_kg,secret\n", "line 2"),
        ("field,access_class\nmass_kg,public\nmass_kg,authority\n", "classed twice"),
        ("field,access_class\naccess_class,public\n", "reserved"),
        ("name,level\nmass_kg,public\n", "header"),
    ],
)
def test_a_bad_table_is_refused_naming_the_line(text, message):
    with pytest.raises(ValueError, match=message):
        access.parse_table(text, version="t")


def test_caller_class_rules():
    assert (
        access.caller_class(authenticated=False, superuser=False, regulator=False, involved=True) == "public"
    )
    assert (
        access.caller_class(authenticated=True, superuser=False, regulator=False, involved=False) == "public"
    )
    assert (
        access.caller_class(authenticated=True, superuser=False, regulator=False, involved=True)
        == "legitimate_interest"
    )
    assert (
        access.caller_class(authenticated=True, superuser=False, regulator=True, involved=False)
        == "authority"
    )
