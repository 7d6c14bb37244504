import csv
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.shared_data import IDENTIFIERS
from traceability import codes, vin

DATA = IDENTIFIERS
TODAY = date(2026, 4, 1)


def _rows(name):
    with open(DATA / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", _rows("battery-codes.csv"), ids=lambda r: r["code"])
def test_battery_code_vectors(row):
    if row["valid"] == "yes":
        parsed = codes.parse(row["code"], today=TODAY)
        assert parsed.product_type == row["product_type"]
        assert parsed.battery_type == row["battery_type"]
        assert parsed.production_date.isoformat() == row["production_date"]
    else:
        with pytest.raises(codes.CodeError) as err:
            codes.parse(row["code"], today=TODAY)
        assert err.value.field == row["error_field"]


@pytest.mark.parametrize("row", _rows("vins.csv"), ids=lambda r: r["vin"])
def test_vin_vectors(row):
    if row["valid"] == "yes":
        assert vin.parse(row["vin"]).vin == row["vin"]
    else:
        with pytest.raises(vin.VinError) as err:
            vin.parse(row["vin"])
        assert err.value.field == row["error"]


def test_iso_3779_worked_example():
    assert vin.check_digit("1M8GDM9AXKP042788") == "X"


def test_imported_vin_without_check_digit_is_exempt_but_flagged():
    european = "WVWZZZ1JZ3W386752"  # European VINs need not carry the check digit
    assert vin.check_digit(european) != european[8]
    assert vin.parse(european).check_digit_exempt is True
    chinese = "LNB0MVBU9U6NC310X"
    with pytest.raises(vin.VinError):
        vin.parse(chinese)


def test_future_date_and_unregistered_manufacturer():
    future = codes.compose(manufacturer="0A1", product_type="P", battery_type="B", spec="01", trace="AAAAAAA",
                           produced=date(2027, 1, 1), serial=5)  # fmt: skip
    with pytest.raises(codes.CodeError) as err:
        codes.parse(future, today=TODAY)
    assert err.value.field == "production_date"
    unknown = codes.compose(manufacturer="ZZ9", product_type="P", battery_type="B", spec="01", trace="AAAAAAA",
                            produced=date(2024, 1, 1), serial=5)  # fmt: skip
    assert codes.parse(unknown, today=TODAY).manufacturer_registered is False
    assert codes.parse("0A1MA57F2SBX7K6280906916", today=TODAY).manufacturer_registered is True


def test_cascade_code_accepted_and_flagged():
    base = "0A1MA57F2SBX7K6280906916"
    parsed = codes.parse(base + "T", today=TODAY)
    assert parsed.is_cascade and parsed.base_code == base
    with pytest.raises(codes.CodeError) as err:
        codes.parse(base + "7", today=TODAY)
    assert err.value.field == "length"


alnum = st.sampled_from("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")
dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 3, 31))


@given(
    maker=st.text(alnum, min_size=3, max_size=3),
    level=st.sampled_from("PMC"),
    chem=st.sampled_from(sorted(codes.BATTERY_TYPES)),
    spec=st.integers(0, 99),
    trace=st.text(alnum, min_size=7, max_size=7),
    produced=dates,
    serial=st.integers(1, 9_999_999),
)
def test_compose_parse_round_trip(maker, level, chem, spec, trace, produced, serial):
    code = codes.compose(manufacturer=maker, product_type=level, battery_type=chem, spec=f"{spec:02d}", trace=trace,
                         produced=produced, serial=serial)  # fmt: skip
    parsed = codes.parse(code, today=TODAY)
    assert (parsed.product_type, parsed.battery_type, parsed.production_date) == (level, chem, produced)
    assert int(parsed.serial) == serial


@given(code=st.text(max_size=30))
def test_any_text_parses_or_names_a_known_field(code):
    try:
        codes.parse(code, today=TODAY)
    except codes.CodeError as exc:
        assert exc.field in codes.FIELDS


@given(body=st.text(st.sampled_from(sorted(vin.CHARSET)), min_size=17, max_size=17))
def test_vin_with_computed_check_digit_always_valid(body):
    fixed = vin.with_check_digit("L" + body[1:])
    assert vin.parse(fixed).vin == fixed
    wrong = fixed[:8] + ("0" if fixed[8] != "0" else "1") + fixed[9:]
    with pytest.raises(vin.VinError) as err:
        vin.parse(wrong)
    assert err.value.field == "check_digit"


@given(position=st.integers(0, 23), char=st.sampled_from("#*-/ .a"))
def test_bad_characters_are_charset_errors(position, char):
    code = "0A1MA57F2SBX7K6280906916"
    bad = code[:position] + char + code[position + 1 :]
    error = codes.check(bad, today=TODAY)
    if char in " " and position in (0, 23):
        return  # stripped
    if char == "a":
        assert error is None or error.field != "charset"  # lower case is read as upper case
    else:
        assert error is not None and error.field in {"charset", "length"}


@pytest.mark.parametrize(
    ("typed", "stored"), [(" lsvab2189j2000001 ", "LSVAB2189J2000001"), ("", ""), (None, "")]
)
def test_a_vin_is_normalised_as_it_is_stored(typed, stored):
    assert vin.normalise(typed) == stored
    if stored:
        assert vin.parse(typed).vin == vin.parse(stored).vin == stored
