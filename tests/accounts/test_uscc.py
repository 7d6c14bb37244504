"""GB 32100 unified social credit codes, checked on published codes and corrupted variants."""

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.uscc import ALPHABET, UsccError, check_character, is_valid_uscc, parse_uscc
from tests.shared_data import IDENTIFIERS

VECTORS = IDENTIFIERS / "uscc.csv"


def _rows():
    with VECTORS.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["uscc"])
def test_vectors(row):
    if row["valid"] == "yes":
        parsed = parse_uscc(row["uscc"])
        assert parsed.code == row["uscc"]
        assert parsed.division_code == row["uscc"][2:8]
    else:
        with pytest.raises(UsccError) as exc:
            parse_uscc(row["uscc"])
        assert exc.value.field == row["error"]


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_computed_check_character_always_validates(first17):
    assert is_valid_uscc(first17 + check_character(first17))


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17), st.sampled_from(ALPHABET))
def test_any_other_check_character_is_rejected(first17, wrong):
    right = check_character(first17)
    if wrong != right:
        with pytest.raises(UsccError) as exc:
            parse_uscc(first17 + wrong)
        assert exc.value.field == "check_character"


def test_lowercase_and_spaces_are_normalised():
    assert parse_uscc(" 91440300708461136t ").code == "91440300708461136T"
