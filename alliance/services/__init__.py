"""Writes for the alliance (R-ALLIANCE, seed 四(四)), one module per concept: membership, co-built service points,
price guidance and the lot market. Every write is audited; custody moves only through lifecycle events, so the
trace of a traded battery follows the money."""

from .common import SECRETARIAT, AllianceConflict, AllianceError
from .guidance import VALUATION_METALS, guidance_create, guidance_publish, guidance_withdraw, valuation_prices
from .market import (
    HOLDING_STATES,
    LEVEL_FOR_FORM,
    ItemInput,
    bid_place,
    bid_withdraw,
    deal_record_offline,
    lot_accept,
    lot_cancel,
    lot_create,
    lots_close_expired,
)
from .membership import membership_apply, membership_decide
from .points import ShareInput, shared_point_register

__all__ = [
    "HOLDING_STATES",
    "LEVEL_FOR_FORM",
    "SECRETARIAT",
    "VALUATION_METALS",
    "AllianceConflict",
    "AllianceError",
    "ItemInput",
    "ShareInput",
    "bid_place",
    "bid_withdraw",
    "deal_record_offline",
    "guidance_create",
    "guidance_publish",
    "guidance_withdraw",
    "lot_accept",
    "lot_cancel",
    "lot_create",
    "lots_close_expired",
    "membership_apply",
    "membership_decide",
    "shared_point_register",
    "valuation_prices",
]
