"""Real-time information blocks of GB/T 32960.3-2016 clause 7.2.3 (types 0x01..0x09), decoded into physical
units and encoded back.

Each scalar is declared once as a ``Field`` (width, resolution, offset, valid raw range). On decoding, the
"abnormal" (0xFE, 0xFFFE, 0xFFFFFFFE) and "invalid" (0xFF, 0xFFFF, 0xFFFFFFFF) markers and any raw value outside
the standard's valid range become ``None``: missing, never a number. On encoding ``None`` becomes "invalid".
"""

from __future__ import annotations

import operator
import struct
from dataclasses import dataclass, fields
from itertools import repeat
from typing import ClassVar

from .frame import ProtocolError

ABNORMAL = {1: 0xFE, 2: 0xFFFE, 4: 0xFFFFFFFE}
INVALID = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFFFFFF}
_FMT = {1: "B", 2: "H", 4: "I"}


class Field:
    """One scalar: ``value = raw * scale + offset`` for ``lo <= raw <= hi``; otherwise missing. ``scale`` is a
    power of ten, so values are computed as ``(raw + offset / scale) / 10**k``: exact decimals, no drift."""

    __slots__ = ("size", "scale", "offset", "lo", "hi", "plain", "_div", "_off", "_markers")

    def __init__(
        self,
        size: int,
        scale: float = 1,
        offset: float = 0,
        lo: int = 0,
        hi: int | None = None,
        plain: bool = False,
    ):
        self.size, self.scale, self.offset, self.lo, self.plain = size, scale, offset, lo, plain
        self.hi = ABNORMAL[size] - 1 if hi is None else hi
        self._div = round(1 / scale) if scale < 1 else 1
        self._off = round(offset * self._div)
        self._markers = (ABNORMAL[size], INVALID[size])

    def __repr__(self) -> str:
        return f"Field({self.size}, scale={self.scale}, offset={self.offset}, lo={self.lo}, hi={self.hi})"

    def decode(self, raw: int):
        if self.plain:
            return raw
        if raw < self.lo or raw > self.hi or raw in self._markers:
            return None
        if self._div == 1:
            return raw + self._off
        return (raw + self._off) / self._div

    def decode_many(self, raws) -> tuple:
        if not raws:
            return ()
        lo, hi, off, div = self.lo, self.hi, self._off, self._div
        if min(raws) >= lo and max(raws) <= hi:  # the usual case: every value valid, converted in C
            shifted = map(operator.add, raws, repeat(off)) if off else raws
            return tuple(map(operator.truediv, shifted, repeat(div))) if div != 1 else tuple(shifted)
        if div == 1:
            return tuple([None if r < lo or r > hi else r + off for r in raws])
        return tuple([None if r < lo or r > hi else (r + off) / div for r in raws])

    def encode(self, value) -> int:
        if self.plain:
            return int(value)
        if value is None:
            return INVALID[self.size]
        raw = round(value * self._div) - self._off
        if not self.lo <= raw <= self.hi:
            raise ProtocolError("range", f"{value} is outside the field's range")
        return raw


def _converter(spec: tuple[Field, ...]):
    """One function converting a fixed block's raw tuple, written out field by field (the same rules as
    ``Field.decode``; a block is decoded hundreds of times a second)."""
    parts = []
    for i, f in enumerate(spec):
        r = f"r[{i}]"
        if f.plain:
            parts.append(r)
            continue
        value = r if not f._off else f"({r} + {f._off})"
        if f._div != 1:
            value = f"{value} / {f._div}"
        test = f"{r} > {f.hi}" if f.lo <= 0 else f"{r} < {f.lo} or {r} > {f.hi}"
        parts.append(f"(None if {test} else {value})")
    namespace: dict = {}
    exec(f"def convert(r):\n    return ({', '.join(parts)},)", namespace)  # noqa: S102 - source built from the SPEC above
    return namespace["convert"]


U8 = Field(1)
U16 = Field(2)
STATE = Field(1, lo=1, hi=4)
SEQ = Field(1, lo=1, hi=253)
SUBSYSTEM = Field(1, lo=1, hi=250)
TEMP_C = Field(1, offset=-40, hi=250)  # -40..210 °C
CURRENT = Field(2, scale=0.1, offset=-1000, hi=20000)  # -1000..+1000 A
VOLTAGE = Field(2, scale=0.1, hi=10000)  # 0..1000 V
CELL_V = Field(2, scale=0.001, hi=60000)


class Block:
    """A fixed-layout block: ``SPEC`` pairs each attribute with its field, in wire order."""

    TYPE: ClassVar[int]
    SPEC: ClassVar[tuple[tuple[str, Field], ...]]
    _struct: ClassVar[struct.Struct]
    _fields: ClassVar[tuple]
    _convert: ClassVar

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "SPEC" in cls.__dict__:
            cls._struct = struct.Struct(">" + "".join(_FMT[f.size] for _, f in cls.SPEC))
            cls._fields = tuple(f for _, f in cls.SPEC)
            cls._convert = staticmethod(_converter(cls._fields))

    @classmethod
    def read(cls, buf: bytes, at: int):
        end = at + cls._struct.size
        if end > len(buf):
            raise ProtocolError("body", f"block 0x{cls.TYPE:02x} is truncated")
        raws = cls._struct.unpack_from(buf, at)
        return cls(*cls._convert(raws)), end

    def write(self) -> bytes:
        return self._struct.pack(*(f.encode(getattr(self, name)) for name, f in self.SPEC))


class _Records:
    """A block that is a count byte, then that many records of ``RECORD`` (each with its own ``read`` and
    ``write``), held in the block's one field."""

    __slots__ = ()
    TYPE: ClassVar[int]
    RECORD: ClassVar

    @classmethod
    def read(cls, buf: bytes, at: int):
        count, at = _byte(buf, at, cls.TYPE)
        records = []
        for _ in range(count):
            record, at = cls.RECORD.read(buf, at)
            records.append(record)
        return cls(tuple(records)), at  # type: ignore[call-arg]

    def write(self) -> bytes:
        (records,) = (getattr(self, f.name) for f in fields(self))  # type: ignore[arg-type]
        return bytes((len(records),)) + b"".join(r.write() for r in records)


@dataclass(frozen=True, slots=True)
class VehicleData(Block):
    """0x01 vehicle data (clause 7.2.3.1, table 12), 20 bytes."""

    vehicle_state: int | None  # 1 started, 2 off, 3 other
    charging_state: (
        int | None
    )  # 1 parked charging, 2 charging while driving, 3 not charging, 4 charge complete
    run_mode: int | None  # 1 electric, 2 hybrid, 3 fuel
    speed_kmh: float | None
    mileage_km: float | None
    total_voltage_v: float | None
    total_current_a: float | None
    soc_pct: int | None
    dcdc_state: int | None  # 1 working, 2 off
    gear: int  # bit field: bits 0-3 gear (13 R, 14 D, 15 P), bit 4 braking force, bit 5 driving force
    insulation_kohm: int | None
    accelerator_pct: int | None
    brake_pct: int | None  # 0..100 %, 101 = brake on without travel

    TYPE: ClassVar[int] = 0x01
    SPEC: ClassVar = (
        ("vehicle_state", Field(1, lo=1, hi=3)),
        ("charging_state", STATE),
        ("run_mode", Field(1, lo=1, hi=3)),
        ("speed_kmh", Field(2, scale=0.1, hi=2200)),
        ("mileage_km", Field(4, scale=0.1, hi=9999999)),
        ("total_voltage_v", VOLTAGE),
        ("total_current_a", CURRENT),
        ("soc_pct", Field(1, hi=100)),
        ("dcdc_state", Field(1, lo=1, hi=2)),
        ("gear", Field(1, plain=True)),
        ("insulation_kohm", Field(2, hi=60000)),
        ("accelerator_pct", Field(1, hi=100)),
        ("brake_pct", Field(1, hi=101)),
    )


@dataclass(frozen=True, slots=True)
class DriveMotor(Block):
    """One drive motor of block 0x02 (clause 7.2.3.2, table 15), 12 bytes."""

    seq: int | None
    state: int | None  # 1 consuming, 2 generating, 3 off, 4 ready
    controller_temp_c: int | None
    speed_rpm: int | None
    torque_nm: float | None
    temp_c: int | None
    controller_voltage_v: float | None
    controller_current_a: float | None

    TYPE: ClassVar[int] = 0x02
    SPEC: ClassVar = (
        ("seq", SEQ),
        ("state", STATE),
        ("controller_temp_c", TEMP_C),
        ("speed_rpm", Field(2, offset=-20000, hi=65531)),
        ("torque_nm", Field(2, scale=0.1, offset=-2000, hi=65531)),
        ("temp_c", TEMP_C),
        ("controller_voltage_v", Field(2, scale=0.1, hi=60000)),
        ("controller_current_a", CURRENT),
    )


@dataclass(frozen=True, slots=True)
class DriveMotors(_Records):
    """0x02 drive motors: count (1..253) then one 12-byte record each."""

    motors: tuple[DriveMotor, ...]
    TYPE: ClassVar[int] = 0x02
    RECORD: ClassVar = DriveMotor


@dataclass(frozen=True, slots=True)
class _FuelCellTail(Block):
    h2_max_temp_c: float | None
    h2_max_temp_probe: int | None
    h2_max_concentration_ppm: int | None
    h2_max_concentration_sensor: int | None
    h2_max_pressure_mpa: float | None
    h2_max_pressure_sensor: int | None
    dcdc_state: int | None

    TYPE: ClassVar[int] = 0x03
    PROBE: ClassVar = Field(1, lo=1, hi=252)
    SPEC: ClassVar = (
        ("h2_max_temp_c", Field(2, scale=0.1, offset=-40, hi=2400)),
        ("h2_max_temp_probe", PROBE),
        ("h2_max_concentration_ppm", Field(2, hi=60000)),
        ("h2_max_concentration_sensor", PROBE),
        ("h2_max_pressure_mpa", Field(2, scale=0.1, hi=1000)),
        ("h2_max_pressure_sensor", PROBE),
        ("dcdc_state", Field(1, lo=1, hi=2)),
    )


@dataclass(frozen=True, slots=True)
class FuelCell:
    """0x03 fuel cell (clause 7.2.3.3, table 17): voltage, current, consumption, N probe temperatures, then the
    hydrogen system's extremes."""

    voltage_v: float | None
    current_a: float | None
    consumption_kg_per_100km: float | None
    probe_temps_c: tuple[int | None, ...]
    h2_max_temp_c: float | None
    h2_max_temp_probe: int | None
    h2_max_concentration_ppm: int | None
    h2_max_concentration_sensor: int | None
    h2_max_pressure_mpa: float | None
    h2_max_pressure_sensor: int | None
    dcdc_state: int | None

    TYPE: ClassVar[int] = 0x03
    HEAD: ClassVar = (
        Field(2, scale=0.1, hi=20000),
        Field(2, scale=0.1, hi=20000),
        Field(2, scale=0.01, hi=60000),
    )
    PROBE_TEMP: ClassVar = Field(1, offset=-40, hi=240)

    @classmethod
    def read(cls, buf: bytes, at: int):
        (v, i, c, n), at = _unpack(">HHHH", buf, at, cls.TYPE)
        if n > 65531 or at + n > len(buf):
            raise ProtocolError("body", "block 0x03 probe list is truncated")
        probes = cls.PROBE_TEMP.decode_many(buf[at : at + n])
        tail, at = _FuelCellTail.read(buf, at + n)
        voltage, current, consumption = (f.decode(r) for f, r in zip(cls.HEAD, (v, i, c), strict=True))
        tail_fields = {name: getattr(tail, name) for name, _ in _FuelCellTail.SPEC}
        return cls(voltage, current, consumption, probes, **tail_fields), at

    def write(self) -> bytes:
        head = [
            f.encode(x)
            for f, x in zip(
                self.HEAD, (self.voltage_v, self.current_a, self.consumption_kg_per_100km), strict=True
            )
        ]
        probes = bytes(self.PROBE_TEMP.encode(t) for t in self.probe_temps_c)
        tail = _FuelCellTail(**{name: getattr(self, name) for name, _ in _FuelCellTail.SPEC})
        return struct.pack(">HHHH", *head, len(probes)) + probes + tail.write()


@dataclass(frozen=True, slots=True)
class Engine(Block):
    """0x04 engine (clause 7.2.3.4, table 19), 5 bytes."""

    state: int | None  # 1 on, 2 off
    crankshaft_rpm: int | None
    consumption_l_per_100km: float | None

    TYPE: ClassVar[int] = 0x04
    SPEC: ClassVar = (
        ("state", Field(1, lo=1, hi=2)),
        ("crankshaft_rpm", Field(2, hi=60000)),
        ("consumption_l_per_100km", Field(2, scale=0.01, hi=60000)),
    )


@dataclass(frozen=True, slots=True)
class Position:
    """0x05 vehicle position (clause 7.2.3.5, tables 20-21), 9 bytes: status bits (bit 0 fix invalid, bit 1
    south, bit 2 west), longitude and latitude in millionths of a degree. Signed degrees here; without a fix
    the coordinates are kept but ``valid`` is False."""

    valid: bool
    longitude: float | None
    latitude: float | None

    TYPE: ClassVar[int] = 0x05
    LON: ClassVar = Field(4, scale=0.000001, hi=180_000_000)
    LAT: ClassVar = Field(4, scale=0.000001, hi=90_000_000)

    @classmethod
    def read(cls, buf: bytes, at: int):
        (status, lon, lat), at = _unpack(">BII", buf, at, cls.TYPE)
        lon_v, lat_v = cls.LON.decode(lon), cls.LAT.decode(lat)
        if lon_v is not None and status & 0x04:
            lon_v = -lon_v
        if lat_v is not None and status & 0x02:
            lat_v = -lat_v
        return cls(not status & 0x01, lon_v, lat_v), at

    def write(self) -> bytes:
        status = (0 if self.valid else 1) | (2 if (self.latitude or 0) < 0 else 0)
        status |= 4 if (self.longitude or 0) < 0 else 0
        lon = self.LON.encode(None if self.longitude is None else abs(self.longitude))
        lat = self.LAT.encode(None if self.latitude is None else abs(self.latitude))
        return struct.pack(">BII", status, lon, lat)


@dataclass(frozen=True, slots=True)
class Extremes(Block):
    """0x06 extreme values (clause 7.2.3.6, table 22), 14 bytes: the highest and lowest cell voltage and probe
    temperature with the subsystem and cell or probe where each was measured."""

    max_cell_v_subsystem: int | None
    max_cell_v_cell: int | None
    max_cell_v: float | None
    min_cell_v_subsystem: int | None
    min_cell_v_cell: int | None
    min_cell_v: float | None
    max_temp_subsystem: int | None
    max_temp_probe: int | None
    max_temp_c: int | None
    min_temp_subsystem: int | None
    min_temp_probe: int | None
    min_temp_c: int | None

    TYPE: ClassVar[int] = 0x06
    _V: ClassVar = Field(2, scale=0.001, hi=15000)
    SPEC: ClassVar = (
        ("max_cell_v_subsystem", SUBSYSTEM),
        ("max_cell_v_cell", SUBSYSTEM),
        ("max_cell_v", _V),
        ("min_cell_v_subsystem", SUBSYSTEM),
        ("min_cell_v_cell", SUBSYSTEM),
        ("min_cell_v", _V),
        ("max_temp_subsystem", SUBSYSTEM),
        ("max_temp_probe", SUBSYSTEM),
        ("max_temp_c", TEMP_C),
        ("min_temp_subsystem", SUBSYSTEM),
        ("min_temp_probe", SUBSYSTEM),
        ("min_temp_c", TEMP_C),
    )


# Table 24: the general alarm flags, bit by bit.
ALARM_BITS = (
    "temperature_difference",
    "battery_high_temperature",
    "storage_overvoltage",
    "storage_undervoltage",
    "soc_low",
    "cell_overvoltage",
    "cell_undervoltage",
    "soc_high",
    "soc_jump",
    "storage_mismatch",
    "cell_poor_consistency",
    "insulation",
    "dcdc_temperature",
    "braking_system",
    "dcdc_state",
    "motor_controller_temperature",
    "high_voltage_interlock",
    "motor_temperature",
    "storage_overcharge",
)


@dataclass(frozen=True, slots=True)
class Alarms:
    """0x07 alarms (clause 7.2.3.7, table 23): highest level (0..3), general flags (table 24), then four lists of
    fault codes (energy storage, drive motor, engine, other), each a count (0..252) and DWORDs."""

    max_level: int | None
    flags: int
    storage_faults: tuple[int, ...] = ()
    motor_faults: tuple[int, ...] = ()
    engine_faults: tuple[int, ...] = ()
    other_faults: tuple[int, ...] = ()

    TYPE: ClassVar[int] = 0x07
    LEVEL: ClassVar = Field(1, hi=3)

    @property
    def active(self) -> tuple[str, ...]:
        return tuple(name for bit, name in enumerate(ALARM_BITS) if self.flags >> bit & 1)

    @classmethod
    def read(cls, buf: bytes, at: int):
        (level, flags), at = _unpack(">BI", buf, at, cls.TYPE)
        lists = []
        for _ in range(4):
            n, at = _byte(buf, at, cls.TYPE)
            if n > 252 or at + 4 * n > len(buf):
                raise ProtocolError("body", "block 0x07 fault list is truncated")
            lists.append(struct.unpack_from(f">{n}I", buf, at))
            at += 4 * n
        return cls(cls.LEVEL.decode(level), flags, *lists), at

    def write(self) -> bytes:
        out = struct.pack(">BI", self.LEVEL.encode(self.max_level), self.flags)
        for codes in (self.storage_faults, self.motor_faults, self.engine_faults, self.other_faults):
            out += struct.pack(f">B{len(codes)}I", len(codes), *codes)
        return out


@dataclass(frozen=True, slots=True)
class SubsystemVoltages:
    """One subsystem of block 0x08: its voltage and current, its cell count, and the cells carried in this frame
    (from ``first_cell``, at most 200: a long list is split across frames, clause 7.2.3.8)."""

    subsystem: int | None
    voltage_v: float | None
    current_a: float | None
    total_cells: int | None
    first_cell: int | None
    cell_voltages_v: tuple[float | None, ...]

    COUNT: ClassVar = Field(2, lo=1, hi=65531)

    @classmethod
    def read(cls, buf: bytes, at: int):
        (sub, v, i, total, first, m), at = _unpack(">BHHHHB", buf, at, StorageVoltages.TYPE)
        if m > 200 or at + 2 * m > len(buf):
            raise ProtocolError("body", "block 0x08 cell list is truncated or longer than 200")
        cells = CELL_V.decode_many(struct.unpack_from(f">{m}H", buf, at))
        record = cls(
            SUBSYSTEM.decode(sub),
            VOLTAGE.decode(v),
            CURRENT.decode(i),
            cls.COUNT.decode(total),
            cls.COUNT.decode(first),
            cells,
        )
        return record, at + 2 * m

    def write(self) -> bytes:
        if len(self.cell_voltages_v) > 200:
            raise ProtocolError("range", "at most 200 cell voltages per subsystem and frame")
        head = struct.pack(
            ">BHHHHB",
            SUBSYSTEM.encode(self.subsystem),
            VOLTAGE.encode(self.voltage_v),
            CURRENT.encode(self.current_a),
            self.COUNT.encode(self.total_cells),
            self.COUNT.encode(self.first_cell),
            len(self.cell_voltages_v),
        )
        return head + struct.pack(
            f">{len(self.cell_voltages_v)}H", *(CELL_V.encode(x) for x in self.cell_voltages_v)
        )


@dataclass(frozen=True, slots=True)
class StorageVoltages(_Records):
    """0x08 rechargeable energy storage voltages (clause 7.2.3.8, tables 25-26)."""

    subsystems: tuple[SubsystemVoltages, ...]
    TYPE: ClassVar[int] = 0x08
    RECORD: ClassVar = SubsystemVoltages


@dataclass(frozen=True, slots=True)
class SubsystemTemperatures:
    subsystem: int | None
    probe_temps_c: tuple[int | None, ...]

    @classmethod
    def read(cls, buf: bytes, at: int):
        (sub, probes), at = _unpack(">BH", buf, at, StorageTemperatures.TYPE)
        if probes > 65531 or at + probes > len(buf):
            raise ProtocolError("body", "block 0x09 probe list is truncated")
        return cls(SUBSYSTEM.decode(sub), TEMP_C.decode_many(buf[at : at + probes])), at + probes

    def write(self) -> bytes:
        head = struct.pack(">BH", SUBSYSTEM.encode(self.subsystem), len(self.probe_temps_c))
        return head + bytes(TEMP_C.encode(t) for t in self.probe_temps_c)


@dataclass(frozen=True, slots=True)
class StorageTemperatures(_Records):
    """0x09 rechargeable energy storage temperatures (clause 7.2.3.9, tables 27-28): per subsystem a probe count
    and one byte per probe (°C = raw − 40)."""

    subsystems: tuple[SubsystemTemperatures, ...]
    TYPE: ClassVar[int] = 0x09
    RECORD: ClassVar = SubsystemTemperatures


BLOCK_TYPES = {
    cls.TYPE: cls
    for cls in (
        VehicleData,
        DriveMotors,
        FuelCell,
        Engine,
        Position,
        Extremes,
        Alarms,
        StorageVoltages,
        StorageTemperatures,
    )
}


@dataclass(frozen=True, slots=True)
class UnparsedBlocks:
    """The rest of a report from a block type whose layout the 2016 edition leaves to the parties (0x0A..0xFE:
    platform-exchange and user-defined data). It carries no length, so nothing after it can be read."""

    type: int
    raw: bytes


def decode_blocks(buf: bytes) -> tuple:
    at, out = 0, []
    while at < len(buf):
        kind = buf[at]
        cls = BLOCK_TYPES.get(kind)
        if cls is None:
            out.append(UnparsedBlocks(kind, bytes(buf[at + 1 :])))
            break
        block, at = cls.read(buf, at + 1)
        out.append(block)
    return tuple(out)


def encode_blocks(blocks) -> bytes:
    out = b""
    for block in blocks:
        out += bytes((block.type if isinstance(block, UnparsedBlocks) else block.TYPE,))
        out += block.raw if isinstance(block, UnparsedBlocks) else block.write()
    return out


def _byte(buf: bytes, at: int, kind: int) -> tuple[int, int]:
    if at >= len(buf):
        raise ProtocolError("body", f"block 0x{kind:02x} is truncated")
    return buf[at], at + 1


def _unpack(fmt: str, buf: bytes, at: int, kind: int) -> tuple[tuple, int]:
    """The fixed-size head ``fmt`` of block ``kind`` at ``at``, and where it ends."""
    end = at + struct.calcsize(fmt)
    if end > len(buf):
        raise ProtocolError("body", f"block 0x{kind:02x} is truncated")
    return struct.unpack_from(fmt, buf, at), end


def as_dict(block) -> dict:
    """A block as plain data (for JSON and audit)."""
    out = {}
    for f in fields(block):
        value = getattr(block, f.name)
        if isinstance(value, tuple):
            value = [as_dict(v) if hasattr(v, "__dataclass_fields__") else v for v in value]
        out[f.name] = value
    return out
