"""The frame of GB/T 32960.3-2016 clause 6 and the stream splitter that finds frames in a TCP byte stream.

Layout (clause 6.2, table 1): start ``##`` | command (1) | response flag (1) | VIN (17) | encryption (1) |
data-unit length (WORD, big-endian, 0..65531) | data unit | BCC (XOR of every byte from the command to the last
data byte). The 2025 revision starts its frames with ``$$``; they are recognised and reported as such.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

START_2016 = b"##"
START_2025 = b"$$"
HEADER_LEN = 24  # start (2) + command (1) + response (1) + VIN (17) + encryption (1) + length (2)
MAX_DATA_LEN = 65531  # clause 6.2: the data-unit length is 0..65531
VIN_LEN = 17

# Clause 6.4 (time): six bytes YY MM DD hh mm ss, year counted from 2000, in GMT+8.
GMT8 = timezone(timedelta(hours=8), "GMT+8")
TIME_LEN = 6


class Command(enum.IntEnum):
    """Table 2: command identifiers."""

    VEHICLE_LOGIN = 0x01
    REALTIME = 0x02
    REISSUE = 0x03
    VEHICLE_LOGOUT = 0x04
    PLATFORM_LOGIN = 0x05
    PLATFORM_LOGOUT = 0x06
    HEARTBEAT = 0x07
    TIME_SYNC = 0x08
    QUERY = 0x80
    SETUP = 0x81
    TERMINAL_CONTROL = 0x82


class Response(enum.IntEnum):
    """Table 3: response flags; ``COMMAND`` marks a frame that asks for an answer."""

    OK = 0x01
    ERROR = 0x02
    DUPLICATE_VIN = 0x03
    COMMAND = 0xFE


class Encryption(enum.IntEnum):
    """Clause 6.2 (encryption mode): 0x01 plain; RSA and AES128 need keys exchanged out of band."""

    NONE = 0x01
    RSA = 0x02
    AES128 = 0x03
    ABNORMAL = 0xFE
    INVALID = 0xFF


class ProtocolError(ValueError):
    """A frame or data unit that does not follow the standard; ``kind`` names the fault for counters."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def bcc(data: bytes) -> int:
    """Block check character: XOR of ``data`` (clause 6.2, check code). The bytes are folded as one integer,
    halving its width each step, which keeps the loop in C."""
    width = len(data)
    value = int.from_bytes(data, "little")
    while width > 1:
        half = (width + 1) // 2
        value = (value & ((1 << (8 * half)) - 1)) ^ (value >> (8 * half))
        width = half
    return value & 0xFF


@dataclass(frozen=True, slots=True)
class Frame:
    command: int
    response: int
    vin: str
    encryption: int
    data: bytes
    start: bytes = START_2016
    raw: bytes = field(default=b"", compare=False, repr=False)  # the frame as received

    @property
    def is_2025(self) -> bool:
        return self.start == START_2025


def encode_frame(
    *,
    command: int,
    response: int,
    vin: str,
    data: bytes = b"",
    encryption: int = Encryption.NONE,
    start: bytes = START_2016,
) -> bytes:
    raw_vin = vin.encode("ascii")
    if len(raw_vin) != VIN_LEN:
        raise ProtocolError("vin", f"a VIN has {VIN_LEN} characters, got {len(raw_vin)}")
    if len(data) > MAX_DATA_LEN:
        raise ProtocolError("length", f"a data unit holds at most {MAX_DATA_LEN} bytes")
    body = bytes((command, response)) + raw_vin + bytes((encryption,)) + len(data).to_bytes(2, "big") + data
    return start + body + bytes((bcc(body),))


def decode_vin(raw: bytes) -> str | None:
    """The VIN field as text, or None when it is not 17 printable ASCII characters."""
    if len(raw) != VIN_LEN or not raw.isascii() or not raw.isalnum() and not _printable(raw):
        return None
    return raw.decode("ascii")


def _printable(raw: bytes) -> bool:
    return all(0x21 <= b <= 0x7E for b in raw)


def decode_time(raw: bytes) -> datetime:
    if len(raw) < TIME_LEN:
        raise ProtocolError("time", "the data unit is shorter than its six-byte time")
    y, mo, d, h, mi, s = raw[:TIME_LEN]
    try:
        return datetime(2000 + y, mo, d, h, mi, s, tzinfo=GMT8)
    except ValueError:
        raise ProtocolError("time", f"not a date and time: {raw[:TIME_LEN].hex()}")


def encode_time(value: datetime) -> bytes:
    local = value.astimezone(GMT8) if value.tzinfo else value.replace(tzinfo=GMT8)
    if not 2000 <= local.year <= 2255:
        raise ProtocolError("time", "the year must be 2000..2255")
    return bytes((local.year - 2000, local.month, local.day, local.hour, local.minute, local.second))


# --- the stream splitter ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes skipped while looking for a start marker."""

    size: int


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A candidate frame that failed a check; the splitter resynchronises on the next start marker."""

    kind: str  # "bcc" or "length"
    raw: bytes


KNOWN_STARTS = (START_2016, START_2025)


def _header_plausible(buf: bytes | bytearray, at: int) -> bool:
    return decode_vin(bytes(buf[at + 4 : at + 21])) is not None and int.from_bytes(
        buf[at + 22 : at + 24]
    ) <= (MAX_DATA_LEN)


class FrameSplitter:
    """Cuts frames out of a byte stream fed in arbitrary pieces (split reads, several frames per read, garbage
    between frames). ``feed`` returns what it found, in order: ``Frame``, ``Garbage`` and ``BadFrame`` items.

    A frame whose length field claims more bytes than arrive is abandoned as soon as a complete, valid frame is
    seen after it, so a wrong length costs one frame, not the link; ``drop_partial`` abandons a pending
    candidate when the reader gives up waiting.
    """

    def __init__(self, max_buffer: int = HEADER_LEN + MAX_DATA_LEN + 1):
        self.buf = bytearray()
        self.max_buffer = max_buffer

    @property
    def pending(self) -> int:
        return len(self.buf)

    def drop_partial(self) -> bytes:
        raw, self.buf = bytes(self.buf), bytearray()
        return raw

    def feed(self, data: bytes) -> list:
        self.buf += data
        out: list = []
        buf = self.buf
        while True:
            start = self._find_start(buf, 0)
            if start < 0:
                # keep a trailing '#' or '$': it may be the first half of a start marker
                keep = 1 if buf[-1:] in (b"#", b"$") else 0
                if len(buf) - keep:
                    out.append(Garbage(len(buf) - keep))
                del buf[: len(buf) - keep]
                break
            if start:
                out.append(Garbage(start))
                del buf[:start]
            if len(buf) < HEADER_LEN:
                break
            length = int.from_bytes(buf[22:24], "big")
            if length > MAX_DATA_LEN:
                out.append(BadFrame("length", bytes(buf[:HEADER_LEN])))
                del buf[:1]
                continue
            end = HEADER_LEN + length + 1
            if len(buf) < end:
                later = self._later_valid_frame(buf)
                if later > 0:
                    out.append(BadFrame("length", bytes(buf[:later])))
                    del buf[:later]
                    continue
                break
            if bcc(buf[2 : end - 1]) != buf[end - 1]:
                # a wrong length lands here too: the byte taken for the BCC is not the BCC
                later = self._later_valid_frame(buf, limit=end)
                kind = "length" if later > 0 else "bcc"
                cut = later if later > 0 else 1
                out.append(BadFrame(kind, bytes(buf[: later if later > 0 else end])))
                del buf[:cut]
                continue
            vin = decode_vin(bytes(buf[4:21]))
            out.append(
                Frame(
                    command=buf[2],
                    response=buf[3],
                    vin=vin or bytes(buf[4:21]).hex(),
                    encryption=buf[21],
                    data=bytes(buf[HEADER_LEN : end - 1]),
                    start=bytes(buf[:2]),
                    raw=bytes(buf[:end]),
                )
            )
            del buf[:end]
        return out

    @staticmethod
    def _find_start(buf: bytearray, at: int) -> int:
        hits = [i for i in (buf.find(s, at) for s in KNOWN_STARTS) if i >= 0]
        return min(hits) if hits else -1

    def _later_valid_frame(self, buf: bytearray, limit: int | None = None) -> int:
        """Offset of a complete, valid frame that starts inside the current candidate, or -1."""
        at = 1
        stop = len(buf) if limit is None else limit
        while at < stop:
            nxt = self._find_start(buf, at)
            if nxt < 0 or nxt >= stop:
                return -1
            if len(buf) >= nxt + HEADER_LEN and _header_plausible(buf, nxt):
                length = int.from_bytes(buf[nxt + 22 : nxt + 24], "big")
                end = nxt + HEADER_LEN + length + 1
                if len(buf) >= end and bcc(buf[nxt + 2 : end - 1]) == buf[end - 1]:
                    return nxt
            at = nxt + 1
        return -1
