"""Hand-written GB/T 32960.3-2016 frames, one per command and block type, checked byte by byte against the
decoder: the bytes below are written from the standard's tables, not produced by the encoder."""

from datetime import datetime

import pytest

from telemetry.protocol import blocks as b
from telemetry.protocol.frame import (
    GMT8,
    BadFrame,
    Command,
    Frame,
    FrameSplitter,
    Garbage,
    ProtocolError,
    Response,
    bcc,
    decode_time,
    encode_frame,
    encode_time,
)
from telemetry.protocol.messages import Logout, PlatformLogin, Report, VehicleLogin, decode_message

VIN = "LFV2A21K6G4000001"
T = bytes.fromhex("190c1d0c1314")  # 2025-12-29 12:19:20 GMT+8


def frame(command: int, data: bytes, response: int = 0xFE, encryption: int = 1) -> bytes:
    body = (
        bytes((command, response)) + VIN.encode() + bytes((encryption,)) + len(data).to_bytes(2, "big") + data
    )
    x = 0
    for byte in body:
        x ^= byte
    return b"##" + body + bytes((x,))


def test_time_is_gmt8_from_2000():
    assert decode_time(T) == datetime(2025, 12, 29, 12, 19, 20, tzinfo=GMT8)
    assert encode_time(datetime(2025, 12, 29, 4, 19, 20).replace(tzinfo=GMT8)) == bytes.fromhex(
        "190c1d041314"
    )


def test_time_rejects_an_impossible_date():
    with pytest.raises(ProtocolError) as err:
        decode_time(bytes.fromhex("190d1d0c1314"))  # month 13
    assert err.value.kind == "time"


def test_header_fields_and_bcc():
    raw = frame(0x07, b"")
    assert (
        raw[:2] == b"##" and raw[2] == 0x07 and raw[3] == 0xFE and raw[21] == 0x01 and raw[22:24] == b"\0\0"
    )
    assert raw[-1] == bcc(raw[2:-1])
    (got,) = FrameSplitter().feed(raw)
    assert got == Frame(command=7, response=0xFE, vin=VIN, encryption=1, data=b"")
    assert encode_frame(command=7, response=Response.COMMAND, vin=VIN) == raw


def test_vehicle_login():
    data = T + bytes.fromhex("0001") + b"89860012345678901234" + bytes((2, 4)) + b"P001P002"
    login = decode_message(Command.VEHICLE_LOGIN, data)
    assert login == VehicleLogin(decode_time(T), 1, "89860012345678901234", ("P001", "P002"))
    assert login.encode() == data


def test_vehicle_login_with_a_wrong_code_count_is_refused():
    data = T + bytes.fromhex("0001") + b"89860012345678901234" + bytes((3, 4)) + b"P001P002"
    with pytest.raises(ProtocolError) as err:
        decode_message(Command.VEHICLE_LOGIN, data)
    assert err.value.kind == "body"


def test_logouts_and_platform_login():
    assert decode_message(Command.VEHICLE_LOGOUT, T + b"\x00\x07") == Logout(decode_time(T), 7)
    assert decode_message(Command.PLATFORM_LOGOUT, T + b"\x00\x02") == Logout(decode_time(T), 2)
    data = T + b"\x00\x03" + b"forwarder\0\0\0" + b"s3cret".ljust(20, b"\0") + b"\x01"
    assert decode_message(Command.PLATFORM_LOGIN, data) == PlatformLogin(
        decode_time(T), 3, "forwarder", "s3cret", 1
    )


def test_heartbeat_and_time_sync_are_empty():
    assert decode_message(Command.HEARTBEAT, b"") is None
    assert decode_message(Command.TIME_SYNC, b"") is None
    with pytest.raises(ProtocolError):
        decode_message(Command.HEARTBEAT, b"\x01")


def test_unknown_command():
    with pytest.raises(ProtocolError) as err:
        decode_message(0x42, b"")
    assert err.value.kind == "unknown_command"


VEHICLE = bytes.fromhex(
    "01"  # started
    "03"  # not charging
    "01"  # electric
    "0258"  # 60.0 km/h
    "0001e240"  # 12345.6 km
    "0e10"  # 360.0 V
    "2706"  # 9990 -> -1.0 A
    "4b"  # 75 %
    "01"  # DC-DC working
    "2e"  # bits: driving force, gear D (14)
    "1388"  # 5000 kΩ
    "14"  # accelerator 20 %
    "00"  # brake off
)


def test_block_01_vehicle():
    report = Report.decode(T + b"\x01" + VEHICLE)
    v = report.block(b.VehicleData)
    assert (v.vehicle_state, v.charging_state, v.run_mode) == (1, 3, 1)
    assert v.speed_kmh == 60.0 and v.mileage_km == 12345.6
    assert v.total_voltage_v == 360.0 and v.total_current_a == -1.0 and v.soc_pct == 75
    assert v.gear & 0x0F == 14 and v.gear & 0x20 and v.insulation_kohm == 5000
    assert v.accelerator_pct == 20 and v.brake_pct == 0


def test_block_01_markers_are_missing_not_numbers():
    raw = bytearray(VEHICLE)
    raw[0] = 0xFE  # vehicle state abnormal
    raw[3:5] = b"\xff\xfe"  # speed abnormal
    raw[5:9] = b"\xff\xff\xff\xff"  # mileage invalid
    raw[11:13] = b"\xff\xff"  # current invalid
    raw[13] = 0xFF  # SOC invalid
    raw[14] = 0x65  # DC-DC 101: out of range, not a state
    v = Report.decode(T + b"\x01" + bytes(raw)).block(b.VehicleData)
    assert v.vehicle_state is None and v.speed_kmh is None and v.mileage_km is None
    assert v.total_current_a is None and v.soc_pct is None and v.dcdc_state is None
    assert v.total_voltage_v == 360.0


def test_block_02_drive_motors():
    motor = bytes.fromhex("01015a55f04f10640e102774")
    m = Report.decode(T + b"\x02\x01" + motor).block(b.DriveMotors).motors[0]
    assert (m.seq, m.state, m.controller_temp_c) == (1, 1, 50)
    assert m.speed_rpm == 2000 and m.torque_nm == 24.0 and m.temp_c == 60
    assert m.controller_voltage_v == 360.0 and m.controller_current_a == 10.0


def test_block_03_fuel_cell():
    body = bytes.fromhex("0fa0006401f400023c4103200200640301f40401")
    fc = Report.decode(T + b"\x03" + body).block(b.FuelCell)
    assert fc.voltage_v == 400.0 and fc.current_a == 10.0 and fc.consumption_kg_per_100km == 5.0
    assert fc.probe_temps_c == (20, 25)
    assert fc.h2_max_temp_c == 40.0 and fc.h2_max_temp_probe == 2
    assert fc.h2_max_concentration_ppm == 100 and fc.h2_max_pressure_mpa == 50.0 and fc.dcdc_state == 1


def test_block_04_engine():
    e = Report.decode(T + bytes.fromhex("04010bb802bc")).block(b.Engine)
    assert (e.state, e.crankshaft_rpm, e.consumption_l_per_100km) == (1, 3000, 7.0)


def test_block_05_position_signs_and_fix():
    p = Report.decode(T + bytes.fromhex("050006efe4a80263d4e4")).block(b.Position)
    assert p.valid and p.longitude == 116.384936 and p.latitude == 40.096996
    p = Report.decode(T + bytes.fromhex("050706efe4a80263d4e4")).block(b.Position)
    assert not p.valid and p.longitude == -116.384936 and p.latitude == -40.096996


def test_block_06_extremes():
    body = bytes.fromhex("01050ff001090e7401035a010746")
    x = Report.decode(T + b"\x06" + body).block(b.Extremes)
    assert (x.max_cell_v_subsystem, x.max_cell_v_cell, x.max_cell_v) == (1, 5, 4.08)
    assert (x.min_cell_v_cell, x.min_cell_v) == (9, 3.7)
    assert (x.max_temp_probe, x.max_temp_c, x.min_temp_probe, x.min_temp_c) == (3, 50, 7, 30)


def test_block_07_alarms():
    body = bytes.fromhex("020000040201000000110000020000002100000022")
    a = Report.decode(T + b"\x07" + body).block(b.Alarms)
    assert a.max_level == 2 and a.active == ("battery_high_temperature", "cell_poor_consistency")
    assert a.storage_faults == (0x11,) and a.motor_faults == () and a.other_faults == (0x21, 0x22)


def test_block_08_storage_voltages():
    body = bytes.fromhex("01010e10277400600001030e740e80ffff")
    (s,) = Report.decode(T + b"\x08" + body).block(b.StorageVoltages).subsystems
    assert (s.subsystem, s.voltage_v, s.current_a, s.total_cells, s.first_cell) == (1, 360.0, 10.0, 96, 1)
    assert s.cell_voltages_v == (3.7, 3.712, None)


def test_block_09_storage_temperatures():
    body = bytes.fromhex("020100033c3dff02000141")
    subs = Report.decode(T + b"\x09" + body).block(b.StorageTemperatures).subsystems
    assert (
        subs[0].probe_temps_c == (20, 21, None) and subs[1].subsystem == 2 and subs[1].probe_temps_c == (25,)
    )


def test_every_block_in_one_report_in_order():
    body = (
        b"\x01"
        + VEHICLE
        + bytes.fromhex("04020000ffff")
        + bytes.fromhex("050006efe4a80263d4e4")
        + bytes.fromhex("090101000141")
    )
    report = Report.decode(T + body)
    assert [type(x) for x in report.blocks] == [b.VehicleData, b.Engine, b.Position, b.StorageTemperatures]
    assert report.block(b.Engine).consumption_l_per_100km is None
    assert report.encode() == T + body


def test_user_defined_block_keeps_the_rest_unparsed():
    report = Report.decode(T + b"\x01" + VEHICLE + b"\x80\x01\x02\x03")
    assert isinstance(report.blocks[-1], b.UnparsedBlocks) and report.blocks[-1].raw == b"\x01\x02\x03"


@pytest.mark.parametrize(
    "body",
    [
        b"\x01" + VEHICLE[:10],
        b"\x02\x02" + bytes(12),
        b"\x08\x01\x01\x0e\x10",
        b"\x07\x02",
        b"\x09\x01\x01\x00\x05\x41",
    ],
)
def test_truncated_blocks_are_refused(body):
    with pytest.raises(ProtocolError) as err:
        Report.decode(T + body)
    assert err.value.kind == "body"


def test_splitter_split_reads_and_garbage():
    one, two = frame(0x07, b""), frame(0x04, T + b"\x00\x01")
    stream = b"\x00junk" + one + b"#x" + two
    s = FrameSplitter()
    got = []
    for i in range(len(stream)):
        got += s.feed(stream[i : i + 1])
    frames = [x for x in got if isinstance(x, Frame)]
    assert [f.command for f in frames] == [7, 4]
    assert sum(x.size for x in got if isinstance(x, Garbage)) == 5 + 2


def test_splitter_bad_bcc_then_resync():
    bad = bytearray(frame(0x07, b""))
    bad[-1] ^= 0xFF
    got = FrameSplitter().feed(bytes(bad) + frame(0x07, b""))
    assert isinstance(got[0], BadFrame) and got[0].kind == "bcc"
    assert [x.command for x in got if isinstance(x, Frame)] == [7]


def test_splitter_length_too_long_does_not_swallow_the_next_frame():
    lying = bytearray(frame(0x04, T + b"\x00\x01"))
    lying[23] = 0x40  # claims 64 bytes, carries 8
    got = FrameSplitter().feed(bytes(lying) + frame(0x07, b""))
    assert got[0] == BadFrame("length", bytes(lying)) or (
        isinstance(got[0], BadFrame) and got[0].kind == "length"
    )
    assert [x.command for x in got if isinstance(x, Frame)] == [7]


def test_splitter_length_over_the_maximum():
    raw = bytearray(frame(0x07, b""))
    raw[22:24] = b"\xff\xff"
    got = FrameSplitter().feed(bytes(raw))
    assert isinstance(got[0], BadFrame) and got[0].kind == "length"


def test_splitter_recognises_the_2025_start():
    raw = b"$$" + frame(0x07, b"")[2:]
    (got,) = FrameSplitter().feed(raw)
    assert got.is_2025 and got.command == 7
