"""GB/T 34014-2017 battery codes (R-CODE), parsed and validated field by field. Pure module: no Django imports.

Layout (domain.md §1, [S2]), positions 1-24::

    1-3  manufacturer code   registered with the code-registration system (not checked here for format only)
    4    product type        P pack, M module, C cell
    5    battery type        A NiMH, B LFP, C LMO, D LCO, E NCM, F supercapacitor, G LTO, Z other
    6-7  specification code  two digits
    8-14 traceability code   maker-defined
    15-17 production date    one character each for year, month, day
    18-24 serial             seven digits, 0000001-9999999

A cascade-use (梯次利用) product gets a new code under the same rules; some decoders accept a 25th character
marking it as cascade use [U]: we accept the suffixes listed in ``data/code_rules.json`` and flag the code.

Validation says which field is wrong and why: :class:`CodeError` carries ``field`` (one of ``length``,
``charset``, ``product_type``, ``battery_type``, ``spec``, ``production_date``, ``serial``) and a message.
An unregistered manufacturer code is not a parse failure: it comes back as ``manufacturer_registered=False``.
"""

from __future__ import annotations

import json
import string
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

RULES_FILE = Path(__file__).resolve().parent / "data" / "code_rules.json"

PRODUCT_TYPES = {"P": "pack", "M": "module", "C": "cell"}
BATTERY_TYPES = {
    "A": "NiMH",
    "B": "LFP",
    "C": "LMO",
    "D": "LCO",
    "E": "NCM",
    "F": "supercapacitor",
    "G": "LTO",
    "Z": "other",
}
# Letters without I, O and Q (they read as 1, 0 and 0 on a label).
_LETTERS = [c for c in string.ascii_uppercase if c not in "IOQ"]
YEAR_CHARS = {str(d): 2010 + d for d in range(10)} | {c: 2020 + i for i, c in enumerate(_LETTERS)}
MONTH_CHARS = {str(d): d for d in range(1, 10)} | {"A": 10, "B": 11, "C": 12}
DAY_CHARS = {str(d): d for d in range(1, 10)} | {c: 10 + i for i, c in enumerate(_LETTERS[:22])}

FIELDS = ("length", "charset", "product_type", "battery_type", "spec", "production_date", "serial")


@dataclass(frozen=True)
class Manufacturer:
    code: str
    name: str
    registered_on: date | None


@dataclass(frozen=True)
class CodeRules:
    version: str
    charset: frozenset[str]
    cascade_suffixes: frozenset[str]
    manufacturers: dict[str, Manufacturer]
    unregistered_policy: str = "refuse"  # registration of a code whose maker is not listed: refuse or flag


@lru_cache(maxsize=1)
def default_rules() -> CodeRules:
    """The versioned registry in ``data/code_rules.json`` (a regulator corrects it without a release)."""
    raw = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    excluded = set(raw.get("charset_excluded", []))
    makers = {
        m["code"]: Manufacturer(
            m["code"],
            m.get("name", ""),
            date.fromisoformat(m["registered_on"]) if m.get("registered_on") else None,
        )
        for m in raw.get("manufacturers", [])
    }
    return CodeRules(
        version=raw.get("version", ""),
        charset=frozenset(c for c in string.digits + string.ascii_uppercase if c not in excluded),
        cascade_suffixes=frozenset(raw.get("cascade_suffixes", [])),
        manufacturers=makers,
        unregistered_policy=raw.get("unregistered_manufacturer_policy", "refuse"),
    )


class CodeError(ValueError):
    """A code that fails validation; ``field`` names the field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message

    def as_dict(self) -> dict:
        return {self.field: [self.message]}


@dataclass(frozen=True)
class BatteryCode:
    code: str
    manufacturer_code: str
    product_type: str  # P, M or C
    battery_type: str
    spec_code: str
    traceability_code: str
    production_date: date
    serial: str
    is_cascade: bool
    manufacturer_registered: bool

    @property
    def level_name(self) -> str:
        return PRODUCT_TYPES[self.product_type]

    @property
    def chemistry_name(self) -> str:
        return BATTERY_TYPES[self.battery_type]

    @property
    def base_code(self) -> str:
        """The 24-character code without a cascade-use suffix."""
        return self.code[:24]

    def as_dict(self) -> dict:
        data = asdict(self)
        data["production_date"] = self.production_date.isoformat()
        data["level"] = self.level_name
        data["chemistry"] = self.chemistry_name
        return data


def normalise(code: str) -> str:
    """A code as stored: upper case, with no white space anywhere (a code holds none; labels print it in groups
    and people type it so)."""
    return "".join((code or "").split()).upper()


def parse(code: str, *, today: date | None = None, rules: CodeRules | None = None) -> BatteryCode:
    """Decode ``code`` or raise :class:`CodeError` naming the first field at fault (GB/T 34014-2017 §4)."""
    rules = rules or default_rules()
    code = normalise(code)
    is_cascade = False
    if len(code) == 25:
        if code[24] not in rules.cascade_suffixes:
            markers = ", ".join(sorted(rules.cascade_suffixes)) or "none"
            raise CodeError(
                "length",
                f"25 characters: only a cascade-use code may have a 25th character ({markers}), got {code[24]!r}",
            )
        is_cascade = True
    elif len(code) != 24:
        raise CodeError("length", f"a battery code has 24 characters (25 for cascade use), got {len(code)}")
    bad = sorted({c for c in code[:24] if c not in rules.charset})
    if bad:
        raise CodeError("charset", f"only digits and capital letters are allowed; got {''.join(bad)!r}")
    maker, product, battery, spec = code[0:3], code[3], code[4], code[5:7]
    trace, date_chars, serial = code[7:14], code[14:17], code[17:24]
    if product not in PRODUCT_TYPES:
        raise CodeError(
            "product_type", f"position 4 must be P (pack), M (module) or C (cell), got {product!r}"
        )
    if battery not in BATTERY_TYPES:
        known = ", ".join(BATTERY_TYPES)
        raise CodeError("battery_type", f"position 5 must be one of {known}, got {battery!r}")
    if not spec.isdigit():
        raise CodeError("spec", f"positions 6-7 (specification code) must be two digits, got {spec!r}")
    produced = _production_date(date_chars)
    if produced > (today or date.today()):
        raise CodeError("production_date", f"production date {produced.isoformat()} is in the future")
    registration = rules.manufacturers.get(maker)
    if registration and registration.registered_on and produced < registration.registered_on:
        raise CodeError(
            "production_date",
            f"production date {produced.isoformat()} is before manufacturer {maker} was registered "
            f"({registration.registered_on.isoformat()})",
        )
    if not serial.isdigit():
        raise CodeError("serial", f"positions 18-24 (serial) must be seven digits, got {serial!r}")
    if int(serial) == 0:
        raise CodeError("serial", "the serial runs from 0000001 to 9999999; 0000000 is not allowed")
    return BatteryCode(
        code=code,
        manufacturer_code=maker,
        product_type=product,
        battery_type=battery,
        spec_code=spec,
        traceability_code=trace,
        production_date=produced,
        serial=serial,
        is_cascade=is_cascade,
        manufacturer_registered=registration is not None,
    )


def _production_date(chars: str) -> date:
    y, m, d = tuple(chars)
    if y not in YEAR_CHARS:
        raise CodeError("production_date", f"position 15 (year) {y!r} is not a year character")
    if m not in MONTH_CHARS:
        raise CodeError("production_date", f"position 16 (month) must be 1-9, A-C, got {m!r}")
    if d not in DAY_CHARS:
        raise CodeError("production_date", f"position 17 (day) must be 1-9 or A-Y without I, O, Q, got {d!r}")
    try:
        return date(YEAR_CHARS[y], MONTH_CHARS[m], DAY_CHARS[d])
    except ValueError as exc:
        raise CodeError(
            "production_date", f"{YEAR_CHARS[y]}-{MONTH_CHARS[m]:02d}-{DAY_CHARS[d]:02d} is not a date"
        ) from exc


def check(code: str, *, today: date | None = None) -> CodeError | None:
    """The error of ``code``, or None when it is valid."""
    try:
        parse(code, today=today)
    except CodeError as exc:
        return exc
    return None


def date_chars(value: date) -> str:
    """The three production-date characters of ``value`` (inverse of the decoding above)."""
    year = {v: k for k, v in YEAR_CHARS.items()}[value.year]
    month = {v: k for k, v in MONTH_CHARS.items()}[value.month]
    day = {v: k for k, v in DAY_CHARS.items()}[value.day]
    return year + month + day


def compose(
    *,
    manufacturer: str,
    product_type: str,
    battery_type: str,
    spec: str,
    trace: str,
    produced: date,
    serial: int,
    cascade: bool = False,
) -> str:
    """Build a code from its fields (demo data, tests)."""
    code = f"{manufacturer}{product_type}{battery_type}{spec}{trace}{date_chars(produced)}{serial:07d}"
    return code + ("T" if cascade else "")
