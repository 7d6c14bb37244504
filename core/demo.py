"""The deterministic demo world shared by every app's ``demo.seed`` (``manage.py seed_demo``)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

DEMO_PASSWORD = "demo-pass-2026"  # published demo credential, printed by run_platform


@dataclass
class DemoWorld:
    scale: int = 1
    seed: int = 20260401
    rng: random.Random = field(init=False)
    orgs: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)  # what one app's seed leaves for the next

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def of_kind(self, kind: str) -> list:
        return [o for o in self.orgs.values() if kind in o.kinds]
