"""Encode → decode round trips over the whole value space of every 2016 block (GB/T 32960.3-2016 7.2.3)."""

from datetime import datetime, timedelta
from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry.protocol import blocks as b
from telemetry.protocol.frame import GMT8, Frame, FrameSplitter, bcc, encode_frame
from telemetry.protocol.messages import Logout, PlatformLogin, Report, VehicleLogin


def raw_of(f: b.Field):
    """Any raw value a terminal may send for this field: valid ones, markers and out-of-range ones."""
    top = (1 << (8 * f.size)) - 1
    return st.integers(0, top)


def decoded(f: b.Field):
    return raw_of(f).map(f.decode)


def fixed(cls):
    return st.builds(cls, **{name: decoded(f) for name, f in cls.SPEC})


times = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).map(
    lambda t: t.replace(microsecond=0, tzinfo=GMT8)
)
small = st.lists
blocks = st.one_of(
    fixed(b.VehicleData),
    st.builds(b.DriveMotors, small(fixed(b.DriveMotor), max_size=4).map(tuple)),
    st.builds(
        b.FuelCell,
        *[decoded(f) for f in b.FuelCell.HEAD],
        small(decoded(b.FuelCell.PROBE_TEMP), max_size=8).map(tuple),
        **{name: decoded(f) for name, f in b._FuelCellTail.SPEC},
    ),
    fixed(b.Engine),
    st.builds(
        b.Position, st.booleans(), decoded(b.Position.LON).map(lambda x: x and -x), decoded(b.Position.LAT)
    ),
    fixed(b.Extremes),
    st.builds(
        b.Alarms,
        decoded(b.Alarms.LEVEL),
        st.integers(0, 2**32 - 1),
        *[small(st.integers(0, 2**32 - 1), max_size=3).map(tuple) for _ in range(4)],
    ),
    st.builds(
        b.StorageVoltages,
        small(
            st.builds(
                b.SubsystemVoltages,
                decoded(b.SUBSYSTEM),
                decoded(b.VOLTAGE),
                decoded(b.CURRENT),
                decoded(b.SubsystemVoltages.COUNT),
                decoded(b.SubsystemVoltages.COUNT),
                small(decoded(b.CELL_V), max_size=200).map(tuple),
            ),
            max_size=3,
        ).map(tuple),
    ),
    st.builds(
        b.StorageTemperatures,
        small(
            st.builds(
                b.SubsystemTemperatures,
                decoded(b.SUBSYSTEM),
                small(decoded(b.TEMP_C), max_size=30).map(tuple),
            ),
            max_size=3,
        ).map(tuple),
    ),
)


@settings(max_examples=300, deadline=None)
@given(times, small(blocks, max_size=9))
def test_report_roundtrip(time, items):
    report = Report(time, tuple(items))
    assert Report.decode(report.encode()) == report


@given(
    st.sampled_from([f for cls in (b.VehicleData, b.DriveMotor, b.Extremes, b.Engine) for _, f in cls.SPEC]),
    st.data(),
)
def test_field_decode_encode_is_stable(f, data):
    """Decoding is idempotent through the encoder; markers and out-of-range raws come back as missing."""
    raw = data.draw(raw_of(f))
    value = f.decode(raw)
    assert f.decode(f.encode(value)) == value
    if not f.plain and raw in (b.ABNORMAL[f.size], b.INVALID[f.size]):
        assert value is None


@given(
    times,
    st.integers(1, 65531),
    st.text("0123456789", min_size=20, max_size=20),
    st.integers(0, 4).flatmap(
        lambda n: st.lists(st.text("ABCDEF0123456789", min_size=24, max_size=24), min_size=n, max_size=n)
    ),
)
def test_vehicle_login_roundtrip(time, serial, iccid, codes):
    login = VehicleLogin(time, serial, iccid, tuple(codes))
    assert VehicleLogin.decode(login.encode()) == login


@given(
    times,
    st.integers(0, 65535),
    st.text("abcdefxyz019", min_size=1, max_size=12),
    st.text("abc123", max_size=20),
)
def test_platform_login_and_logout_roundtrip(time, serial, user, password):
    assert Logout.decode(Logout(time, serial).encode()) == Logout(time, serial)
    login = PlatformLogin(time, serial, user, password)
    assert PlatformLogin.decode(login.encode()) == login


vins = st.text("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=17, max_size=17)


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8]), vins, st.binary(max_size=300)),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.integers(1, 50), min_size=1, max_size=20),
)
def test_splitter_finds_every_frame_whatever_the_chunking(items, cuts):
    stream = b"".join(encode_frame(command=c, response=0xFE, vin=v, data=d) for c, v, d in items)
    splitter, got, at, i = FrameSplitter(), [], 0, 0
    while at < len(stream):
        step = cuts[i % len(cuts)]
        got += splitter.feed(stream[at : at + step])
        at, i = at + step, i + 1
    frames = [x for x in got if isinstance(x, Frame)]
    assert [(f.command, f.vin, f.data) for f in frames] == items


def test_times_cover_the_offset():
    t = datetime(2026, 1, 1, 0, 0, tzinfo=GMT8)
    assert Report.decode(Report(t - timedelta(seconds=1), ()).encode()).time == t - timedelta(seconds=1)


@given(st.binary(max_size=2000))
def test_bcc_is_the_xor_of_every_byte(data):

    assert bcc(data) == reduce(lambda a, b: a ^ b, data, 0)
