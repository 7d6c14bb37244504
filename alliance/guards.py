"""Alliance deals in the traceability core's custody rules (R-ALLIANCE): a concluded deal is the seller's release
and the buyer's acceptance at once, so its ``handed_over`` events may name the buyer as the new custodian. The
relation ``deal_counterparty`` holds only for the deal's seller, buyer and the lot's own batteries; a hand-over
that cites a deal it does not match is refused."""

from __future__ import annotations

from core.errors import Conflict
from traceability.lifecycle import EventKind

from .models import Deal, LotItem


class DealRefusal(Conflict):
    http_status = 409
    default_code = "alliance.deal_mismatch"


def _matches(actor, battery, custodian_after_id, deal_id) -> bool:
    deal = Deal.objects.filter(pk=deal_id).only("seller_id", "buyer_id", "lot_id").first()
    return bool(
        deal is not None
        and deal.seller_id == actor.pk
        and deal.buyer_id == custodian_after_id
        and LotItem.objects.filter(lot_id=deal.lot_id, battery_id=battery.pk).exists()
    )


def deal_relation(actor, specs) -> set[int]:
    hits = set()
    for i, spec in enumerate(specs):
        deal_id = (spec.payload or {}).get("deal")
        after = getattr(spec.custodian_after, "pk", None)
        if (
            spec.kind == EventKind.HANDED_OVER
            and deal_id
            and after
            and _matches(actor, spec.battery, after, deal_id)
        ):
            hits.add(i)
    return hits


def deal_guard(proposal) -> None:
    deal_id = (proposal.payload or {}).get("deal")
    if not deal_id or proposal.custodian_after_id == proposal.battery.custodian_id:
        return
    if proposal.actor is None or not _matches(
        proposal.actor, proposal.battery, proposal.custodian_after_id, deal_id
    ):
        raise DealRefusal(
            f"{proposal.battery.code}: the hand-over does not match deal {deal_id}", field="payload.deal"
        )
