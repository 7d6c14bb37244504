"""Writes for the traceability core (R-CODE, R-BIND, R-LIFE), one module per concept. Other apps change a
battery only through :func:`event_record` (or :func:`events_record_bulk`), so every custody change is a lifecycle
event, in the trace and in the ledger, asked of one authority (:mod:`traceability.authority`) and of the guards the
sibling apps register through :mod:`core.hooks`.
"""

from .bindings import pack_bindable_by, replacement_record
from .corrections import error_declare, error_review
from .custody import (
    _battery_for,
    claim_record,
    claim_review,
    outlet_authorise,
    receipt_confirm,
    receipt_kind_for,
    release_cancel,
    release_record,
)
from .disassembly import Disassembly, battery_disassemble
from .events import (
    RECEIPTS,
    RELEASES,
    UNCHANGED,
    BulkOutcome,
    EventSpec,
    Proposal,
    TraceabilityConflict,
    TraceabilityError,
    TraceabilityForbidden,
    TraceabilityNotFound,
    event_record,
    events_record_bulk,
)
from .registration import (
    BatterySpec,
    batteries_register_bulk,
    battery_register,
    battery_register_unknown,
    parse_code,
    product_link,
)
from .uploads import batteries_upload, bindings_upload, events_upload, replacements_upload

__all__ = [
    "RECEIPTS",
    "RELEASES",
    "UNCHANGED",
    "BatterySpec",
    "BulkOutcome",
    "Disassembly",
    "EventSpec",
    "Proposal",
    "TraceabilityConflict",
    "TraceabilityError",
    "TraceabilityForbidden",
    "TraceabilityNotFound",
    "_battery_for",
    "batteries_register_bulk",
    "batteries_upload",
    "battery_disassemble",
    "battery_register",
    "battery_register_unknown",
    "bindings_upload",
    "claim_record",
    "claim_review",
    "error_declare",
    "error_review",
    "event_record",
    "events_record_bulk",
    "events_upload",
    "outlet_authorise",
    "pack_bindable_by",
    "parse_code",
    "product_link",
    "receipt_confirm",
    "receipt_kind_for",
    "release_cancel",
    "release_record",
    "replacement_record",
    "replacements_upload",
]
