"""The alliance's versioned market rules (``alliance/data/market-rules.json``): parameters, not code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class MarketRules:
    version: str
    outlier_tolerance: Decimal
    grades: tuple[str, ...]
    grade_by_min_soh: tuple[tuple[Decimal, str], ...]
    min_bidding_hours: int


@cache
def market_rules() -> MarketRules:
    raw = json.loads((DATA_DIR / "market-rules.json").read_text(encoding="utf-8"))
    return MarketRules(
        version=raw["version"],
        outlier_tolerance=Decimal(raw["outlier_tolerance"]),
        grades=tuple(raw["grades"]),
        grade_by_min_soh=tuple((Decimal(m), g) for m, g in raw["grade_by_min_soh"]),
        min_bidding_hours=int(raw["min_bidding_hours"]),
    )
