"""Who may buy a lot (R-ALLIANCE with R-CASCADE and R-REGEN): the bridge from the cascade-use and regeneration
records to the pure rules in :mod:`alliance.rules`.

Authorisations come from ``cascade_use.selectors``; licences, waste categories and the scale used this year
from ``regeneration.selectors``. A buyer with no record there is unqualified on that route, with the reason.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from cascade_use import selectors as cascade_selectors
from regeneration import selectors as regeneration_selectors

from . import rules
from .models import Lot, Membership, MembershipStatus

KG_PER_T = Decimal(1000)


def buyer_qualification(*, buyer: Organisation, lot: Lot, on: date | None = None) -> tuple[bool, list[str]]:
    """Whether ``buyer`` may bid on ``lot`` on ``on`` (today by default), and the reasons when it may not."""
    on = on or timezone.localdate()
    if buyer.pk == lot.seller_id:
        return False, ["a seller cannot bid on its own lot"]
    is_member = Membership.objects.filter(organisation=buyer, status=MembershipStatus.APPROVED).exists()
    result = rules.qualify(
        buyer_kinds=buyer.kinds,
        is_member=is_member,
        lot=lot_facts(lot),
        on=on,
        authorisations=authorisations_of(buyer) if "cascade_use" in buyer.kinds else (),
        licences=licences_of(buyer, on=on) if "regeneration" in buyer.kinds else (),
    )
    return result.ok, result.reasons


def lot_facts(lot: Lot) -> rules.LotFacts:
    by_maker: dict[int, set[tuple[str, str]]] = {}
    names: dict[int, str] = {}
    categories: set[str] = set()
    mass = Decimal(0)
    for item in lot.items.select_related("battery__maker"):
        battery = item.battery
        maker_id = battery.maker_id or 0
        names[maker_id] = battery.maker.display_name if battery.maker else "(unknown maker)"
        by_maker.setdefault(maker_id, set()).add((item.chemistry or battery.chemistry, battery.level))
        category = regeneration_selectors.category_for(battery)
        categories.add(category.code if category is not None else f"chemistry {battery.chemistry or 'Z'}")
        mass += item.mass_kg or 0
    return rules.LotFacts(
        items_by_maker={k: frozenset(v) for k, v in by_maker.items()},
        maker_names=names,
        mass_t=mass / KG_PER_T,
        categories=frozenset(categories),
    )


def authorisations_of(buyer: Organisation) -> list[rules.Authorisation]:
    found = []
    for a in cascade_selectors.authorisations_held(buyer):
        valid_to = a.valid_to
        if a.revoked_at is not None:
            # A revoked authorisation ends the day before its revocation.
            valid_to = min(valid_to, timezone.localdate(a.revoked_at) - timedelta(days=1))
        found.append(
            rules.Authorisation(
                maker_id=a.battery_maker_id,
                valid_from=a.valid_from,
                valid_to=valid_to,
                chemistries=frozenset(a.chemistries or ()),
                levels=frozenset(a.product_types or ()),
            )
        )
    return found


def licences_of(buyer: Organisation, *, on: date) -> list[rules.Licence]:
    """The buyer's licences with the scale already used in ``on``'s year (the regeneration app's own count)."""
    return [
        rules.Licence(
            number=lic.number,
            categories=frozenset(lic.categories),
            annual_scale_t=lic.annual_scale_t,
            used_t=regeneration_selectors.licence_usage_t(lic, on.year),
            valid_from=lic.valid_from,
            valid_to=lic.valid_to,
        )
        for lic in regeneration_selectors.licences_held(buyer)
    ]


# The pure rules give their reasons in English; the pages show them in the reader's language.
_REASONS = [
    (r"the buyer is not an approved alliance member", _("the buyer is not an approved alliance member")),
    (
        r"only cascade-use or regeneration enterprises may buy retired batteries",
        _("only cascade-use or regeneration enterprises may buy retired batteries"),
    ),
    (r"a seller cannot bid on its own lot", _("a seller cannot bid on its own lot")),
    (
        r"no cascade-use authorisation from battery maker (?P<name>.+)",
        _("no cascade-use authorisation from battery maker %(name)s"),
    ),
    (
        r"the cascade-use authorisation from battery maker (?P<name>.+) is not in force on (?P<on>\S+)",
        _("the cascade-use authorisation from battery maker %(name)s is not in force on %(on)s"),
    ),
    (
        r"the authorisation from battery maker (?P<name>.+) does not cover (?P<what>.+)",
        _("the authorisation from battery maker %(name)s does not cover %(what)s"),
    ),
    (r"no hazardous-waste business licence on record", _("no hazardous-waste business licence on record")),
    (
        r"the hazardous-waste licence \((?P<numbers>.+)\) has expired or is not yet in force on (?P<on>\S+)",
        _("the hazardous-waste licence (%(numbers)s) has expired or is not yet in force on %(on)s"),
    ),
    (
        r"no licence in force covers waste category (?P<needed>.+)",
        _("no licence in force covers waste category %(needed)s"),
    ),
    (
        r"licence (?P<number>\S+): annual scale exhausted \((?P<left>\S+) t left of (?P<scale>\S+) t, "
        r"the lot weighs (?P<mass>\S+) t\)",
        _(
            "licence %(number)s: annual scale exhausted (%(left)s t left of %(scale)s t, the lot weighs %(mass)s t)"
        ),
    ),
]


def reason_display(reason: str) -> str:
    """A qualification reason in the active language (unknown wording is shown as it is)."""
    for pattern, text in _REASONS:
        match = re.fullmatch(pattern, reason)
        if match:
            return str(text) % match.groupdict() if match.groupdict() else str(text)
    return reason
