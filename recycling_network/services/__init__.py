"""Writes for the recycling network (R-NET, R-SCRAP, R-PUBLIC, R-LIFE), one module per concept.

Every custody change is a lifecycle event recorded through :func:`traceability.services.event_record`
(``place_ref="sp:<id>"`` for a service point); the rows here (intakes, stock, manifests, certificates) are the
network's own records around those events. Every write is audited with the acting user.
"""

from .common import CustodyConflict, NetworkError, require_operator
from .intake import (
    INTAKE_COLUMNS,
    PHOTO_FORMATS,
    IntakeResult,
    intake_bulk,
    intake_record,
    require_code_shape,
    require_photo,
)
from .points import (
    CHANGEABLE,
    POINT_FIELDS,
    PUBLIC_POINT_FIELDS,
    point_change_decide,
    point_change_request,
    service_point_register,
    service_point_review,
    service_point_update,
)
from .scrap import (
    RecycledCertificateInput,
    ScrapRefused,
    pack_remove,
    recycled_certificate_check,
    recycled_certificate_record,
    scrap_certificate_record,
)
from .transfers import (
    RECEIVER_KINDS,
    dangerous_goods_entry,
    transfer_dispatch,
    transfer_receive,
    transit_missing_flag,
)

__all__ = [
    "CHANGEABLE",
    "CustodyConflict",
    "INTAKE_COLUMNS",
    "IntakeResult",
    "NetworkError",
    "PHOTO_FORMATS",
    "POINT_FIELDS",
    "PUBLIC_POINT_FIELDS",
    "RECEIVER_KINDS",
    "RecycledCertificateInput",
    "ScrapRefused",
    "dangerous_goods_entry",
    "intake_bulk",
    "intake_record",
    "pack_remove",
    "point_change_decide",
    "point_change_request",
    "recycled_certificate_check",
    "recycled_certificate_record",
    "require_code_shape",
    "require_operator",
    "require_photo",
    "scrap_certificate_record",
    "service_point_register",
    "service_point_review",
    "service_point_update",
    "transfer_dispatch",
    "transfer_receive",
    "transit_missing_flag",
]
