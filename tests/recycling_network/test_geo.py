import pytest
from hypothesis import given
from hypothesis import strategies as st

from recycling_network.geo import distance_m, gcj02_to_wgs84, out_of_china, parse_lat_lon, wgs84_to_gcj02


def test_known_offset_in_beijing():
    # Tiananmen (WGS-84 39.9087, 116.3975) appears ~ +0.0013° lat, +0.0062° lon in GCJ-02.
    lat, lon = wgs84_to_gcj02(39.9087, 116.3975)
    assert 0.0005 < lat - 39.9087 < 0.003 and 0.004 < lon - 116.3975 < 0.008


@given(st.floats(36.0, 42.6), st.floats(113.4, 119.9))
def test_gcj02_inverse_round_trips_within_a_centimetre(lat, lon):
    g_lat, g_lon = wgs84_to_gcj02(lat, lon)
    w_lat, w_lon = gcj02_to_wgs84(g_lat, g_lon)
    assert distance_m(lat, lon, w_lat, w_lon) < 0.01


def test_outside_china_is_unchanged():
    assert out_of_china(51.5, -0.12)
    assert gcj02_to_wgs84(51.5, -0.12) == (51.5, -0.12)


def test_distance_beijing_tianjin():
    assert 105_000 < distance_m(39.9042, 116.4074, 39.1256, 117.1902) < 115_000


@pytest.mark.parametrize("text", ["", "39.9", "a,b", "95,116", "39.9,190"])
def test_bad_coordinates_say_why(text):
    with pytest.raises(ValueError):
        parse_lat_lon(text)
