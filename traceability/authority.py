"""One authority for every write to a battery's history (R-LIFE; 溯源管理暂行规定 第四条: 来源可查、去向可追、节点可控).

Pure module: no Django imports. :func:`decide` answers, for an event kind, the actor's enterprise kinds and the
actor's relations to the battery, whether the event is allowed, and if not which rule refuses it. The table of
who may record what is data (``data/authority.json``); the few rules that hold whatever the table says (custody
moves with two parties, a custodian named by the holder only through a release) are here.

Relations the caller establishes, by name:

``holder``            the actor is the battery's custodian
``addressee``         the actor is the receiver named by the open release of the battery
``claim_approved``    the region's regulator approved the actor's claim to the battery
``vehicle_automaker`` the actor made the vehicle the pack is in
``vehicle_outlet``    the actor is an after-sales outlet of that automaker
``scrap_dismantler``  the actor is a dismantler holding a scrap certificate for that vehicle
``maker``             the actor made the battery
``maker_custody``     the battery is still with its maker (or with nobody): an automaker may bind it
``assessor``          the actor is a third-party assessor
``regulator``         the actor is a regulator of the battery's region
``platform``          no enterprise: the platform itself (e.g. the missing-in-transit job)
``deal_counterparty`` an alliance deal concluded between the holder and the named new custodian
``unheld``            nobody is on record as the battery's custodian (and no release is open)
``correction_declarant`` the actor declared the battery's wrong event (its original actor, or the region's
                      regulator) and the corrections service is carrying the declaration out
``correction_effective`` the declaration is effective: the region's regulator approved it, or it leaves the
                      custodian where it is (a kind's ``custody_with`` lists the relations that let it move custody)
``disassembling_parent`` the actor holds the pack (or module) this module (or cell) came out of, taken apart
                      in the same write
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.errors import ServiceError

DATA = Path(__file__).resolve().parent / "data" / "authority.json"


class AuthorityRefusal(ServiceError):
    """A write the authority refuses; ``code`` is the rule's name, ``http_status`` the answer's status."""

    http_status = 422
    default_code = "authority"


class NotEntitled(AuthorityRefusal):
    """The actor has no standing to record this event on this battery (403)."""

    http_status = 403


class CustodyRefused(AuthorityRefusal):
    """The event would move custody outside a confirmed release or an approved claim (409)."""

    http_status = 409


class StateRefused(AuthorityRefusal):
    """The lifecycle state does not allow the event (409)."""

    http_status = 409


class GuardRefused(AuthorityRefusal):
    """A sibling app's rule refuses the event: an authorisation, an assessment, a licence (422)."""

    http_status = 422


# Where the custodian goes after the event, as the caller sees it.
UNCHANGED, TO_ACTOR, TO_VEHICLE_PARTY, TO_OTHER = "unchanged", "actor", "vehicle_party", "other"


@dataclass(frozen=True)
class Table:
    kinds: dict[str, dict]
    receipts: frozenset[str]
    releases: frozenset[str]
    custody_moving: frozenset[str]
    inside_parent: frozenset[str] = frozenset()


@cache
def table() -> Table:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return Table(
        kinds=raw["kinds"],
        receipts=frozenset(raw["receipts"]),
        releases=frozenset(raw["releases"]),
        custody_moving=frozenset(raw["custody_moving"]),
        inside_parent=frozenset(raw.get("inside_parent", [])),
    )


@dataclass(frozen=True)
class Request:
    kind: str
    state: str  # the battery's state now ("" before production)
    actor_kinds: frozenset[str]
    relations: frozenset[str]
    custody_to: str = UNCHANGED
    code: str = ""  # the battery's code, for the message


def decide(request: Request, rules: Table | None = None) -> AuthorityRefusal | None:
    """None when ``request`` is allowed, else the refusal naming the rule (its ``code``) and the field at fault."""
    rules = rules or table()
    kind, rel = request.kind, request.relations
    where = (
        f"{request.code} (state '{request.state or 'none'}')" if request.code else f"state '{request.state}'"
    )
    entry = rules.kinds.get(kind)
    if entry is None:
        return AuthorityRefusal(f"unknown event kind {kind!r}", field="kind", code="authority.unknown_kind")
    if "platform" in rel and "platform" not in entry["relations"]:
        return NotEntitled(
            f"'{kind}' on {where} needs an enterprise that answers for it",
            field="actor",
            code=f"{kind}.actor",
        )
    wanted = set(entry["actor_kinds"])
    if kind in ("removed", "replaced_out") and not wanted & request.actor_kinds:
        return _missing_relation(kind, where, entry["relations"], rules)
    if wanted and not wanted & request.actor_kinds and not rel & {"regulator", "platform"}:
        names = ", ".join(sorted(wanted))
        return NotEntitled(
            f"'{kind}' on {where} is recorded by an enterprise of kind {names}",
            field="actor",
            code=f"{kind}.actor_kind",
        )
    if not rel & set(entry["relations"]):
        return _missing_relation(kind, where, entry["relations"], rules)
    return _custody(request, where, rules)


def _missing_relation(kind: str, where: str, needed: list[str], rules: Table) -> AuthorityRefusal:
    if kind in rules.receipts:
        return CustodyRefused(
            f"'{kind}' of {where} needs an open release naming you as receiver (or an approved claim)",
            field="battery_code",
            code="custody.receipt_without_release",
        )
    if kind in ("removed", "replaced_out"):
        return NotEntitled(
            f"'{kind}' of {where}: only the vehicle's automaker, its after-sales outlets or a dismantler holding "
            "a scrap certificate for the vehicle take a pack out",
            field="battery_code",
            code="custody.removal_by_vehicle_party",
        )
    if needed == ["holder"]:
        return NotEntitled(
            f"'{kind}' of {where} is recorded by the battery's holder",
            field="battery_code",
            code="custody.holder_only",
        )
    return NotEntitled(
        f"'{kind}' of {where} needs one of: {', '.join(needed)}",
        field="battery_code",
        code=f"{kind}.relation",
    )


def _custody(request: Request, where: str, rules: Table) -> AuthorityRefusal | None:
    kind, to, rel = request.kind, request.custody_to, request.relations
    if to == UNCHANGED:
        return None
    if rel & set(rules.kinds.get(kind, {}).get("custody_with", ())):
        return None
    if to == TO_ACTOR and kind in rules.custody_moving:
        return None
    if to == TO_VEHICLE_PARTY and kind in ("replaced_in", "bound", "removed", "replaced_out"):
        return None
    if to == TO_OTHER and kind == "handed_over" and "deal_counterparty" in rel:
        return None
    return CustodyRefused(
        f"'{kind}' of {where} cannot name a new custodian: the holder releases it to a receiver, who confirms",
        field="to_uscc",
        code="custody.moves_by_release",
    )


def inside_parent(
    kind: str, *, code: str, parent_code: str, parent_state: str, rules: Table | None = None
) -> AuthorityRefusal | None:
    """A module or cell inside an intact pack (or module) has no path of its own: the parent's events are its
    trace (R-CODE, R-LIFE). Only the kinds in ``inside_parent`` (data) may be recorded on it alone; the rest wait
    for the parent's disassembly."""
    rules = rules or table()
    if kind in rules.inside_parent:
        return None
    return StateRefused(
        f"'{kind}' of {code} refused: it is part of {parent_code} (state '{parent_state}'), which is intact; "
        "record the event on the pack, or disassemble it first",
        field="battery_code",
        code="lifecycle.part_of_intact_pack",
    )


def refuse(refusal: AuthorityRefusal | None) -> None:
    if refusal is not None:
        raise refusal
