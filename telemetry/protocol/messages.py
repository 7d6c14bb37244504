"""Data units of the commands (GB/T 32960.3-2016 clause 7): vehicle login and logout, real-time and reissued
reports, platform login and logout. Heartbeat and time sync carry an empty data unit."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .blocks import decode_blocks, encode_blocks
from .frame import TIME_LEN, Command, ProtocolError, decode_time, encode_time


@dataclass(frozen=True, slots=True)
class VehicleLogin:
    """Clause 7.1, table 6: time, login serial (1..65531, daily), ICCID (20), n energy-storage subsystems,
    code length m, and n codes of m bytes (the pack codes, GB/T 34014)."""

    time: datetime
    serial: int
    iccid: str
    pack_codes: tuple[str, ...]

    def encode(self) -> bytes:
        codes = [c.encode("ascii") for c in self.pack_codes]
        m = len(codes[0]) if codes else 0
        if any(len(c) != m for c in codes):
            raise ProtocolError("range", "every subsystem code must have the same length")
        iccid = self.iccid.encode("ascii").ljust(20, b"\0")[:20]
        return (
            encode_time(self.time)
            + struct.pack(">H", self.serial)
            + iccid
            + bytes((len(codes), m))
            + b"".join(codes)
        )

    @classmethod
    def decode(cls, data: bytes) -> VehicleLogin:
        if len(data) < 30:
            raise ProtocolError("body", "a vehicle login has at least 30 bytes")
        (serial,) = struct.unpack_from(">H", data, 6)
        n, m = data[28], data[29]
        if len(data) != 30 + n * m:
            raise ProtocolError("body", f"a vehicle login with {n} codes of {m} bytes has {30 + n * m} bytes")
        codes = tuple(_text(data[30 + i * m : 30 + (i + 1) * m]) for i in range(n))
        return cls(decode_time(data), serial, _text(data[8:28]), codes)


@dataclass(frozen=True, slots=True)
class Logout:
    """Vehicle logout (clause 7.4, table 30) and platform logout (clause 7.6): time and the login's serial."""

    time: datetime
    serial: int

    def encode(self) -> bytes:
        return encode_time(self.time) + struct.pack(">H", self.serial)

    @classmethod
    def decode(cls, data: bytes) -> Logout:
        if len(data) != 8:
            raise ProtocolError("body", "a logout has 8 bytes")
        return cls(decode_time(data), struct.unpack_from(">H", data, 6)[0])


@dataclass(frozen=True, slots=True)
class PlatformLogin:
    """Clause 7.5, table 31: time, serial, user name (12), password (20), encryption rule."""

    time: datetime
    serial: int
    username: str
    password: str
    encryption: int = 1

    def encode(self) -> bytes:
        return (
            encode_time(self.time)
            + struct.pack(">H", self.serial)
            + self.username.encode("ascii").ljust(12, b"\0")[:12]
            + self.password.encode("ascii").ljust(20, b"\0")[:20]
            + bytes((self.encryption,))
        )

    @classmethod
    def decode(cls, data: bytes) -> PlatformLogin:
        if len(data) != 41:
            raise ProtocolError("body", "a platform login has 41 bytes")
        (serial,) = struct.unpack_from(">H", data, 6)
        return cls(decode_time(data), serial, _text(data[8:20]), _text(data[20:40]), data[40])


@dataclass(frozen=True, slots=True)
class Report:
    """Real-time (0x02) or reissued (0x03) information (clause 7.2, table 7): time and blocks."""

    time: datetime
    blocks: tuple

    def encode(self) -> bytes:
        return encode_time(self.time) + encode_blocks(self.blocks)

    @classmethod
    def decode(cls, data: bytes) -> Report:
        return cls(decode_time(data), decode_blocks(data[TIME_LEN:]))

    def block(self, cls):
        return next((b for b in self.blocks if isinstance(b, cls)), None)


def _text(raw: bytes) -> str:
    return raw.rstrip(b"\0 ").decode("ascii", errors="replace")


DECODERS: dict[int, Callable[[bytes], object]] = {
    Command.VEHICLE_LOGIN: VehicleLogin.decode,
    Command.REALTIME: Report.decode,
    Command.REISSUE: Report.decode,
    Command.VEHICLE_LOGOUT: Logout.decode,
    Command.PLATFORM_LOGIN: PlatformLogin.decode,
    Command.PLATFORM_LOGOUT: Logout.decode,
}


def decode_message(command: int, data: bytes):
    """The data unit of an uplink command; heartbeat and time sync must be empty."""
    if command in (Command.HEARTBEAT, Command.TIME_SYNC):
        if data:
            raise ProtocolError("body", "heartbeat and time sync carry no data unit")
        return None
    decoder = DECODERS.get(command)
    if decoder is None:
        raise ProtocolError("unknown_command", f"command 0x{command:02x} is not an uplink command")
    return decoder(data)
