"""Access classes of the battery passport (EU Regulation 2023/1542 Art. 77 and Annex XIII; the 2026 interim
measures for the traction-battery digital ID). Pure module: no Django imports.

Each field of a passport belongs to one class in a versioned table (``passport/data/access-classes-v*.csv``);
a caller of a class sees the fields of its class and of every class below it, nothing else. The answer depends
only on the caller's class (:func:`caller_class`), never on who the caller is beyond that.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

PUBLIC = "public"
LEGITIMATE_INTEREST = "legitimate_interest"
AUTHORITY = "authority"
CLASSES = (PUBLIC, LEGITIMATE_INTEREST, AUTHORITY)  # each sees what those before it see

# Keys every answer carries whatever the class: what the answer is, not data about the battery.
META_KEYS = ("access_class", "access_table")


@dataclass(frozen=True)
class AccessTable:
    version: str
    classes: dict[str, str]  # field -> class

    def allows(self, field: str, caller: str) -> bool:
        """Fields missing from the table are shown to nobody (a new field is closed until it is classed)."""
        wanted = self.classes.get(field)
        return wanted is not None and CLASSES.index(caller) >= CLASSES.index(wanted)

    def visible(self, passport: dict, caller: str) -> dict:
        if caller not in CLASSES:
            raise ValueError(f"unknown access class {caller!r}")
        shown = {k: v for k, v in passport.items() if self.allows(k, caller)}
        return {"access_class": caller, "access_table": self.version, **shown}


def parse_table(text: str, *, version: str) -> AccessTable:
    """Read the CSV (``field,access_class,note``); a bad row raises ValueError naming its line."""
    classes: dict[str, str] = {}
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"field", "access_class"} <= set(reader.fieldnames):
        raise ValueError("access table: the header must name field and access_class")
    for line, row in enumerate(reader, start=2):
        field, cls = (row.get("field") or "").strip(), (row.get("access_class") or "").strip()
        if not field or field in META_KEYS:
            raise ValueError(f"access table line {line}: field {field!r} is empty or reserved")
        if cls not in CLASSES:
            raise ValueError(f"access table line {line}: {cls!r} is not one of {', '.join(CLASSES)}")
        if field in classes:
            raise ValueError(f"access table line {line}: {field} is classed twice")
        classes[field] = cls
    if not classes:
        raise ValueError("access table is empty")
    return AccessTable(version=version, classes=classes)


def caller_class(*, authenticated: bool, superuser: bool, regulator: bool, involved: bool) -> str:
    """Anonymous -> public; a regulator of any of the three regions (each reads the other two, read-only) or a
    platform administrator -> authority; an enterprise that holds or held, repaired, repurposed or recycled
    this battery (it acted on it or held it in an event of its history) -> legitimate interest; any other
    enterprise -> public."""
    if not authenticated:
        return PUBLIC
    if superuser or regulator:
        return AUTHORITY
    return LEGITIMATE_INTEREST if involved else PUBLIC
