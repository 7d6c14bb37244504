"""Writes for the traceability core (R-CODE, R-BIND, R-LIFE), one module per concept. Other apps change a
battery only through :func:`event_record` (or :func:`events_record_bulk`), so every custody change is a lifecycle
event, in the trace and in the ledger, asked of one authority (:mod:`traceability.authority`) and of the guards the
sibling apps register through :mod:`core.hooks`.

Who acts: every service here, as in every app, takes a keyword-only ``actor: User``; the acting organisation is
``actor.organisation``, and the trace and the audit trail record both. Where no person is behind a write (demo
seeding, an import from the national platform, a scheduled job, a correction of the seeded world), the platform
acts for the organisation: :func:`accounts.actors.platform_actor` gives that organisation's actor, a user that is
never saved, so the event names the organisation and no user, as it did before a person was asked for. The
services the platform also calls with no organisation at all (:func:`event_record`, :func:`events_record_bulk`,
:func:`battery_register`, :func:`batteries_register_bulk`) take ``actor: User | None``: None is the platform on its
own, which the authority knows as the ``platform`` relation. Where a person records an event that is another
organisation's (a platform administrator at an operator's service point, a regulator's approval carrying out a
claimant's receipt), :func:`event_record` and :func:`receipt_confirm` take ``on_behalf_of``: the event is that
organisation's, asked of the authority as such, and names the person who recorded it. A read-only account records
nothing (``actor.read_only``).
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
