"""The versioned data files of the valuation (parameters, grade table, first price set, cycle-life artefact).

Loaded once per process: the cycle-life artefact at start-up (``ValuationConfig.ready``), the rest on first use.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from valuation.core.cycle_life import CycleLifeModel
from valuation.core.grading import GradeTable

DATA_DIR = Path(__file__).resolve().parent / "data"
PARAMETERS_FILE = DATA_DIR / "parameters-v1.json"
GRADING_FILE = DATA_DIR / "grading-v1.json"
INITIAL_PRICES_FILE = DATA_DIR / "prices-2025-01-01.json"
CYCLE_LIFE_FILE = DATA_DIR / "cycle_life_model.json"
CELLS_CSV = DATA_DIR / "early-cycle-features.csv"


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def parameters() -> dict:
    return _read(PARAMETERS_FILE)


@lru_cache(maxsize=1)
def grading_data() -> dict:
    return _read(GRADING_FILE)


def grade_table() -> GradeTable:
    return GradeTable.from_dict(grading_data())


_cycle_life: CycleLifeModel | None = None


def cycle_life_model() -> CycleLifeModel:
    """The served cycle-life model; loaded at start-up, reloaded only by :func:`cycle_life_reload`."""
    global _cycle_life
    if _cycle_life is None:
        _cycle_life = CycleLifeModel.from_dict(_read(CYCLE_LIFE_FILE))
    return _cycle_life


def cycle_life_reload() -> CycleLifeModel:
    global _cycle_life
    _cycle_life = None
    return cycle_life_model()
