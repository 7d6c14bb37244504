"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: registration authority (1), organisation type (1), administrative division (6),
organisation code (9, with its own GB 11714 check), and a check character (position 18) computed over the
first 17 with weights 3^i mod 31. The alphabet is the digits and 21 capital letters without I, O, Z, S, V.
Pure module: no Django imports.
"""

from __future__ import annotations

from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


class UsccError(ValueError):
    """Invalid code; ``field`` names what is wrong: ``length``, ``charset`` or ``check_character``."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Uscc:
    code: str
    registration_authority: str
    organisation_type: str
    division_code: str
    organisation_code: str


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def parse_uscc(raw: str) -> Uscc:
    """Validate a USCC and return its parts, or raise :class:`UsccError` naming the faulty field."""
    code = (raw or "").strip().upper()
    if len(code) != 18:
        raise UsccError("length", f"a unified social credit code has 18 characters, not {len(code)}")
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        raise UsccError(
            "charset",
            f"characters {''.join(bad)!r} are not allowed (digits and capitals without I, O, Z, S, V)",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise UsccError("check_character", f"check character is {code[17]!r}, expected {expected!r}")
    return Uscc(code, code[0], code[1], code[2:8], code[8:17])


def is_valid_uscc(raw: str) -> bool:
    try:
        parse_uscc(raw)
    except UsccError:
        return False
    return True
