"""Vehicle identification numbers, GB 16735 / ISO 3779 (domain.md §2). Pure module: no Django imports.

17 characters from 0-9 and A-Z without I, O and Q; position 9 is a check digit: the weighted sum (weights
8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2, letters transliterated A=1 ... Z=9 per ISO 3779) modulo 11, with 10 written X.

Exemption rule: GB 16735 makes the check digit mandatory for vehicles made in China (world manufacturer
identifier starting with ``L``) and ISO 3779 makes it mandatory for North America (``1``-``5``). Other markets
(EU, Japan, Korea) do not require it, so an imported vehicle whose WMI starts with anything else may carry any
character at position 9: such a VIN is accepted with ``check_digit_exempt=True`` and its mismatch recorded, never
silently ignored. Every other error is a refusal naming the field (``length``, ``charset``, ``check_digit``).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import codes
from .codes import CodeError

WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
TRANSLITERATION = (
    {str(d): d for d in range(10)}
    | dict(zip("ABCDEFGH", range(1, 9), strict=True))
    | dict(zip("JKLMN", range(1, 6), strict=True))
    | {"P": 7, "R": 9}
    | dict(zip("STUVWXYZ", range(2, 10), strict=True))
)
CHARSET = frozenset(TRANSLITERATION)
CHECK_DIGIT_REQUIRED_PREFIXES = ("L", "1", "2", "3", "4", "5")


class VinError(CodeError):
    """A VIN that fails validation; ``field`` is ``length``, ``charset`` or ``check_digit``."""


@dataclass(frozen=True)
class Vin:
    vin: str
    wmi: str
    vds: str
    check_digit: str
    model_year: str
    plant: str
    serial: str
    check_digit_exempt: bool = False


def normalise(vin: str | None) -> str:
    """A VIN as it is stored and looked up: capitals, no surrounding blanks (as a battery code is)."""
    return codes.normalise(vin or "")


def check_digit(vin: str) -> str:
    total = sum(TRANSLITERATION[c] * w for c, w in zip(vin, WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def parse(vin: str) -> Vin:
    """Validate and split ``vin``; raise :class:`VinError` naming the field at fault."""
    vin = normalise(vin)
    if len(vin) != 17:
        raise VinError("length", f"a VIN has 17 characters, got {len(vin)}")
    bad = sorted({c for c in vin if c not in CHARSET})
    if bad:
        raise VinError(
            "charset", f"only digits and capital letters except I, O, Q are allowed; got {''.join(bad)!r}"
        )
    expected = check_digit(vin)
    exempt = False
    if vin[8] != expected:
        if vin.startswith(CHECK_DIGIT_REQUIRED_PREFIXES):
            raise VinError("check_digit", f"position 9 should be {expected!r}, got {vin[8]!r}")
        exempt = True
    return Vin(
        vin=vin,
        wmi=vin[:3],
        vds=vin[3:8],
        check_digit=vin[8],
        model_year=vin[9],
        plant=vin[10],
        serial=vin[11:],
        check_digit_exempt=exempt,
    )


def with_check_digit(vin17: str) -> str:
    """``vin17`` with position 9 replaced by its correct check digit (demo data, tests)."""
    vin17 = vin17.upper()
    return vin17[:8] + check_digit(vin17[:8] + "0" + vin17[9:]) + vin17[9:]
