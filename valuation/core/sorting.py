"""Batch sorter: groups modules or cells of similar SOH and internal resistance for rebuilding (R-VALUE).

A pack rebuilt from mismatched cells ages at the pace of its weakest cell and fails early, so units are only
grouped when both their SOH and their internal resistance are close. Greedy and deterministic: sort by SOH, cut
a new SOH window whenever a unit is more than ``soh_tolerance`` above the window's first unit, then inside each
window sort by resistance and cut whenever a unit's resistance exceeds the group's lowest by more than
``ir_tolerance`` (relative). Groups smaller than ``min_group_size`` are reported as unmatched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    id: str
    soh: float
    internal_resistance: float  # any unit (mΩ), as long as all units use the same


@dataclass(frozen=True)
class SortResult:
    groups: list[list[Unit]]
    unmatched: list[Unit]


def batch_sort(
    units: list[Unit], *, soh_tolerance: float = 0.03, ir_tolerance: float = 0.10, min_group_size: int = 2
) -> SortResult:
    if soh_tolerance < 0 or ir_tolerance < 0 or min_group_size < 1:
        raise ValueError("tolerances must be ≥ 0 and the group size ≥ 1")
    for u in units:
        if not (u.soh >= 0 and u.internal_resistance > 0):
            raise ValueError(f"unit {u.id}: SOH must be ≥ 0 and internal resistance > 0")
    groups: list[list[Unit]] = []
    unmatched: list[Unit] = []
    for window in _windows(sorted(units, key=lambda u: (u.soh, u.id)), lambda u: u.soh, soh_tolerance, False):
        by_ir = sorted(window, key=lambda u: (u.internal_resistance, u.id))
        for group in _windows(by_ir, lambda u: u.internal_resistance, ir_tolerance, True):
            if len(group) >= min_group_size:
                groups.append(group)
            else:
                unmatched.extend(group)
    return SortResult(groups=groups, unmatched=unmatched)


def _windows(
    items: list[Unit], key: Callable[[Unit], float], tolerance: float, relative: bool
) -> list[list[Unit]]:
    out: list[list[Unit]] = []
    for item in items:
        if out:
            first = key(out[-1][0])
            limit = first * (1 + tolerance) if relative else first + tolerance
            if key(item) <= limit + 1e-12:
                out[-1].append(item)
                continue
        out.append([item])
    return out
